// `rdl-sync auth` at a terminal asks for the code Dropbox shows. Ctrl-C at that prompt ended the
// command with exit 1 and no word: it now says nothing was connected and exits 130, as the
// shell's own convention and the other commands' interrupts do. A real pty from util-linux
// `script`, the emulator's authorize address.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { exitedWithin, repo, waitFor } from './cli-harness.js';

let emulator: Emulator;
let dirs: Awaited<ReturnType<typeof makeDirs>>;

before(async () => {
  emulator = await startEmulator({});
  dirs = await makeDirs('rdl-cli-auth-tty-');
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Tty' }), null);
});

after(async () => {
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
});

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

test('Ctrl-C at the code prompt says nothing was connected, exit 130', async () => {
  const command = [process.execPath, '--import', 'tsx', path.join(repo, 'src/cli/main.ts')]
    .concat(['auth', '--config-dir', dirs.configDir])
    .map(quote)
    .join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: repo,
    env: { ...process.env, HOME: dirs.root, RDL_SYNC_QUIET: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (screen += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (screen += d));
  try {
    await waitFor('the prompt', async () => screen.includes('Paste the code'), 30_000);
    child.stdin!.write('\u0003');
    const end = await exitedWithin(child, 30_000);
    if (!end) throw new Error(`no exit; the terminal shows: ${screen}`);
    const { code } = end;
    assert.equal(code, 130, screen);
    assert.match(
      screen,
      /Interrupted: not connected to Dropbox \(nothing was saved\); rdl-sync auth starts again\./,
    );
    await assert.rejects(fs.stat(path.join(dirs.configDir, 'credentials.json')), {
      code: 'ENOENT',
    });
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
