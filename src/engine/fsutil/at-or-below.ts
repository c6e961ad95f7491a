import path from 'node:path';

/** Whether `p` is `root` or a path below it, by their names (no link is followed). */
export function isAtOrBelow(p: string, root: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(p));
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}
