// `npm run demo` keeps working: a small run verifies every file on the emulator and in the
// SD-card folder, exits 0 and removes its temporary folders; a bad option exits 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { repo, type CliResult } from './cli-harness.js';

function runDemo(args: string[]): Promise<CliResult> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repo, 'scripts/demo.ts'), ...args],
    { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('the demo moves and verifies every file, then cleans up', { timeout: 150_000 }, async () => {
  const [r, bad] = await Promise.all([runDemo(['--files', '2']), runDemo(['--files', 'many'])]);

  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--files must be a whole number from 1 to 500, not "many"/);

  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /a folder standing in for the SD card/);
  assert.match(r.stdout, /^t\+ ?\d+s .*waiting .* done +\d+\/3/m, 'per-second progress lines');
  const rows = r.stdout.split('\n').filter((l) => / {2}✓ {12}✓ {12}[0-9a-f]{16}…$/.test(l));
  assert.equal(rows.length, 3, r.stdout);
  assert.ok(rows.some((l) => l.startsWith('RDL/USB0/highrate-burst-0001.bin    10609217')));
  assert.doesNotMatch(r.stdout, /✗/);
  assert.match(
    r.stdout,
    /on Dropbox with matching hash: 3\/3, on the SD card with matching hash: 3\/3/,
  );

  const watch = /Watch folder: +(\S+)\/tosync/.exec(r.stdout)?.[1];
  assert.ok(watch, 'the demo names its folders');
  await assert.rejects(fs.stat(watch), { code: 'ENOENT' }, 'temporary folders removed');
});
