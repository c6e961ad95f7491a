// What the repository holds: nothing of one developer's machine. A symlink to an absolute path
// (a worktree's node_modules pointing at another checkout) is a dangling link in every other
// clone, and a merge into a checkout that has a real node_modules folder stops on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { isAbsolute } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

/** Tracked entries as `mode path`, or null outside a git checkout (a source tarball). */
function tracked(): { mode: string; path: string }[] | null {
  let out: string;
  try {
    out = execFileSync('git', ['ls-files', '-s', '-z'], { cwd: root, encoding: 'utf8' });
  } catch {
    return null;
  }
  return out
    .split('\0')
    .filter(Boolean)
    .map((line) => {
      const [meta = '', path = ''] = line.split('\t');
      return { mode: meta.split(' ')[0] ?? '', path };
    });
}

test('no tracked symlink leads out of the repository, and node_modules is never tracked', (t) => {
  const entries = tracked();
  if (!entries) return t.skip('not a git checkout');
  const links = entries.filter((e) => e.mode === '120000');
  const outward = links.filter((e) => {
    const target = execFileSync('git', ['cat-file', 'blob', `:${e.path}`], {
      cwd: root,
      encoding: 'utf8',
    });
    return isAbsolute(target) || target.startsWith('..');
  });
  assert.deepEqual(
    outward.map((e) => e.path),
    [],
    'symlinks to places outside the repository',
  );
  assert.deepEqual(
    entries.filter((e) => e.path === 'node_modules' || e.path.startsWith('node_modules/')),
    [],
    'node_modules is tracked',
  );
});
