// `rdl-sync alert secret smtp-password` typed at a terminal, as its prompt invites: found on the
// hub walk, the password was echoed as typed (on the screen, a remote desktop's too, and in the
// scrollback). A real pseudo-terminal from util-linux `script`; what the terminal shows is what
// `script` prints.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { exitedWithin, repo, waitFor } from '../cli/cli-harness.js';

let root: string;

before(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-secret-tty-'));
});

after(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
/** Says whether the terminal was raw when the prompt was printed (raw-at-prompt-probe.ts). */
const probe = path.join(import.meta.dirname, 'raw-at-prompt-probe.ts');

/** Runs `alert secret smtp-password` on a pty; types `keys` once the prompt shows. */
async function typeAtTerminal(
  configDir: string,
  keys: string,
): Promise<{ code: number | null; screen: string }> {
  const command = [process.execPath, '--import', 'tsx', '--import', probe]
    .concat(path.join(repo, 'src/cli/main.ts'))
    .concat(['alert', 'secret', 'smtp-password', '--config-dir', configDir])
    .map(quote)
    .join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], {
    cwd: repo,
    env: { ...process.env, HOME: root, RDL_SYNC_QUIET: '1' },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let screen = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (screen += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (screen += d));
  try {
    await waitFor('the prompt', async () => screen.includes('then Enter'), 30_000);
    child.stdin!.write(keys);
    const end = await exitedWithin(child, 30_000);
    if (!end) throw new Error(`no exit; the terminal shows: ${screen}`);
    const { code } = end;
    return { code, screen };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

test('a password typed at the prompt is saved and never shown; Ctrl-C saves nothing', async () => {
  const configDir = path.join(root, 'config');
  const secret = 'S3cret-Typed-Pa55';
  // A typo corrected with backspace, then Enter.
  const typed = await typeAtTerminal(configDir, `${secret}x\u007f\r`);
  assert.equal(typed.code, 0, typed.screen);
  assert.match(typed.screen, /Type the smtp-password \(it is not shown\), then Enter:/);
  assert.match(typed.screen, /Saved the smtp-password in /);
  // Echo was off before the prompt invited typing (before, the prompt came first: keys typed as
  // it showed were echoed, and Ctrl-C killed the command with 130 instead of cancelling).
  assert.match(typed.screen, /\[raw when prompted: true\]/);
  assert.ok(!typed.screen.includes(secret.slice(0, 6)), `echoed: ${typed.screen}`);
  const saved = JSON.parse(await fs.readFile(path.join(configDir, 'alert-secrets.json'), 'utf8'));
  assert.deepEqual(saved, { smtpPassword: secret });

  const other = path.join(root, 'config-cancelled');
  const cancelled = await typeAtTerminal(other, 'half-typed\u0003');
  assert.equal(cancelled.code, 1, cancelled.screen);
  assert.match(cancelled.screen, /cancelled: nothing saved/);
  assert.match(cancelled.screen, /\[raw when prompted: true\]/);
  assert.ok(!cancelled.screen.includes('half-typed'), cancelled.screen);
  await assert.rejects(fs.stat(path.join(other, 'alert-secrets.json')), { code: 'ENOENT' });
});
