#!/usr/bin/env node
// Runs every test file under test/ with Node's own test runner, TypeScript loaded through tsx.
// Node 20's `--test` does not expand globs, so the files are listed here.
// Usage: npm test [-- <substring> ...]   (only files whose path contains one of the substrings)
import { chmodSync, copyFileSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { spawnSync } from 'node:child_process';
import { buildCli } from './build.mjs';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const passthrough = process.argv.slice(2).filter((a) => a.startsWith('--'));

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const files = walk(join(root, 'test'))
  .map((f) => relative(root, f))
  .filter((f) => filters.length === 0 || filters.some((s) => f.includes(s)))
  .sort();
if (files.length === 0) {
  console.error(`no test files match ${filters.join(', ') || 'test/**/*.test.ts'}`);
  process.exit(1);
}
// The CLI bundled once for the whole run, as `npm run build` bundles it, laid out as an installed
// package (its package.json above dist/): the tests start it hundreds of times, and each start of
// the bundle costs about a quarter of the source's through tsx (test/cli/cli-command.ts). Readable
// by all: some tests run it as an unprivileged user.
const pkg = mkdtempSync(join(tmpdir(), 'rdl-test-cli-'));
chmodSync(pkg, 0o755);
copyFileSync(join(root, 'package.json'), join(pkg, 'package.json'));
const bundle = await buildCli(join(pkg, 'dist', 'cli', 'cli.mjs'));
const res = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    ...passthrough,
    ...files,
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'test', RDL_TEST_CLI_BUNDLE: bundle },
  },
);
rmSync(pkg, { recursive: true, force: true });
process.exit(res.status ?? 1);
