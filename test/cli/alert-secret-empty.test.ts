// `rdl-sync alert secret NAME` reads the value from stdin. An empty one removes the secret saved;
// with none saved it said "Removed the smtp-password." all the same (a setup script's pipe that
// gave nothing read as a success). Real CLI processes, the value piped in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { cliCommand } from './cli-command.js';
import { exited, repo } from './cli-harness.js';

async function secret(home: string, configDir: string, value: string): Promise<string> {
  const child = spawn(
    process.execPath,
    [...cliCommand(), 'alert', 'secret', 'smtp-password', '--config-dir', configDir],
    { cwd: repo, env: { ...process.env, HOME: home, RDL_SYNC_QUIET: '1' }, stdio: 'pipe' },
  );
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stdin!.end(value);
  const { code } = await exited(child);
  assert.equal(code, 0, out);
  return out;
}

test('an empty value with no secret saved says nothing was saved; with one saved, that it was removed', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-alert-secret-'));
  try {
    const configDir = path.join(root, 'config');
    assert.equal(
      await secret(root, configDir, ''),
      'Nothing saved: the value given was empty, and no smtp-password was saved before.\n',
    );
    assert.match(await secret(root, configDir, 'pw-123\n'), /^Saved the smtp-password in /);
    assert.equal(await secret(root, configDir, '\n'), 'Removed the smtp-password.\n');
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});
