// `rdl-sync alert secret NAME` reads the value from stdin. An empty one removed the secret saved
// (a script's pipe that gave nothing, or `alert secret smtp-password VALUE` run without a terminal,
// whose VALUE was ignored: email alerts broken, the password in the shell history). Now an empty
// value changes nothing (exit 1), a value on the command line is refused (exit 2), and removing is
// `--remove`. Real CLI processes, the value piped in.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { cliCommand } from './cli-command.js';
import { exited, repo } from './cli-harness.js';

async function secret(
  home: string,
  configDir: string,
  value: string,
  ...extra: string[]
): Promise<{ code: number | null; out: string }> {
  const child = spawn(
    process.execPath,
    [...cliCommand(), 'alert', 'secret', 'smtp-password', ...extra, '--config-dir', configDir],
    { cwd: repo, env: { ...process.env, HOME: home, RDL_SYNC_QUIET: '1' }, stdio: 'pipe' },
  );
  let out = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stdin!.end(value);
  const { code } = await exited(child);
  return { code, out };
}

test('an empty value never removes the saved secret; a value on the command line is refused; --remove removes', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-alert-secret-'));
  try {
    const configDir = path.join(root, 'config');
    const file = path.join(configDir, 'alert-secrets.json');
    assert.deepEqual(await secret(root, configDir, ''), {
      code: 1,
      out: 'Nothing saved: the value given was empty, and no smtp-password was saved before.\n',
    });
    const saved = await secret(root, configDir, 'pw-123\n');
    assert.equal(saved.code, 0, saved.out);
    assert.match(saved.out, /^Saved the smtp-password in /);
    const before = await fs.readFile(file, 'utf8');

    const empty = await secret(root, configDir, '\n');
    assert.equal(empty.code, 1, empty.out);
    assert.match(
      empty.out,
      /^Nothing changed: the value given was empty, so the saved smtp-password is kept \(to remove it: rdl-sync alert secret smtp-password --remove\)\.$/m,
    );
    const onLine = await secret(root, configDir, '', 'NewPassword9');
    assert.equal(onLine.code, 2, onLine.out);
    assert.match(
      onLine.out,
      /^Nothing changed: the smtp-password is never taken from the command line/,
    );
    assert.doesNotMatch(onLine.out, /NewPassword9/);
    assert.equal(await fs.readFile(file, 'utf8'), before, 'the saved password untouched');

    assert.deepEqual(await secret(root, configDir, '', '--remove'), {
      code: 0,
      out: 'Removed the smtp-password.\n',
    });
    assert.deepEqual(await secret(root, configDir, '', '--remove'), {
      code: 0,
      out: 'No smtp-password was saved: nothing to remove.\n',
    });
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});
