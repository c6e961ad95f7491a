// `rdl-sync status | head -1`: the reader goes away before the answer is written. The command
// must end quietly (no EPIPE stack trace on stderr), as other Unix tools do.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repo, exited } from './cli-harness.js';

const roots: string[] = [];
after(async () => {
  for (const r of roots) await fs.rm(r, { recursive: true, force: true });
});

test('status into a closed pipe ends without a stack trace', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cli-epipe-'));
  roots.push(root);
  // A real shell pipeline, as a person types it; `head -c 0` closes its end at once.
  const child = spawn(
    'sh',
    [
      '-c',
      `"${process.execPath}" "${path.join(repo, 'bin/rdl-sync.js')}" status --config-dir "${path.join(root, 'config')}" | head -c 0; echo "status=$?"`,
    ],
    { env: { ...process.env, HOME: root, RDL_SYNC_QUIET: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  try {
    assert.deepEqual(await exited(child), { code: 0, signal: null });
  } finally {
    clearTimeout(timer);
  }
  assert.match(stdout, /status=0/);
  assert.doesNotMatch(stderr, /EPIPE|Error| {4}at /, stderr);
});
