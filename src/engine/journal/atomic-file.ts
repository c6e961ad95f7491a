// Replace a small state file so a crash at any instant leaves either the old or the new content:
// write a temp file beside it, fsync it, rename over the target, fsync the folder.
// The temp name is fixed (<file>.tmp), so a torn temp file from a crash is simply overwritten by
// the next write and never accumulates; readers only ever read <file>.
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import { fsyncDir } from '../fsutil/index.js';

export function tempPathFor(file: string): string {
  return `${file}.tmp`;
}

export async function replaceFileAtomically(
  file: string,
  data: string | Uint8Array,
  mode = 0o600,
): Promise<void> {
  const tmp = tempPathFor(file);
  const handle = await open(tmp, 'w', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(tmp, file);
  await fsyncDir(path.dirname(file));
}
