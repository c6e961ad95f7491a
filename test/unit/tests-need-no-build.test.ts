// CI runs the tests on a clean clone, where the repository has no dist/ (it is built, never
// tracked). A test that ran the repository's own dist/ passed on a developer's machine (where some
// earlier build left one, possibly stale) and timed out in CI, where the daemon it spawned never
// started. Tests and tools build what they run into temp folders (scripts/build.mjs) instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return name === 'node_modules' ? [] : sources(p);
    return /\.(ts|mjs|js)$/.test(name) ? [p] : [];
  });
}

/** `join(repo, 'dist…')`, `resolve(root, "dist/…")` and the like: the checkout's own build. */
const CHECKOUT_DIST = /\b(repo|root|repoRoot)\s*,\s*['"`]dist\b/;

test("no test or tool runs the checkout's dist/ (absent on a clean clone, stale after an edit)", () => {
  const offenders = [...sources(join(root, 'test')), ...sources(join(root, 'tools'))]
    .filter((file) => file !== import.meta.filename) // its own example below
    .filter((file) => CHECKOUT_DIST.test(readFileSync(file, 'utf8')))
    .map((file) => relative(root, file));
  assert.deepEqual(offenders, []);
  // The pattern itself still finds the form the CLI harness once used.
  assert.match("path.join(repo, 'dist/cli/cli.mjs')", CHECKOUT_DIST);
});
