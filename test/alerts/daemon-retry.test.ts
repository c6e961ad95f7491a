// The outbox through real daemons (child processes, `rdl-sync run`) against the Dropbox emulator:
// the webhook answers 503 while the SD-card folder goes missing, the daemon is restarted (an
// upgrade, a reboot), the webhook is back: the next daemon delivers the raise it never got, once,
// and resolves it when the folder is back. Before, the raise was recorded as announced and no
// daemon ever sent it again.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { AlertSecretStore } from '../../src/engine/alerts/secrets.js';
import {
  exited,
  readPublishedStatus,
  runCli,
  spawnCli,
  waitFor,
  type CliEnv,
  killIfRunning,
} from '../cli/cli-harness.js';
import { startWebhookServer, type LoopbackHttp } from './loopback.js';

const TOKEN = 'Daemon-Retry-Token-4711';

let emulator: Emulator;
let hook: LoopbackHttp;
let refusing = true;
/** The status each request was answered with. */
const answers: number[] = [];
let dirs: Awaited<ReturnType<typeof makeDirs>>;
let daemon: ChildProcess | null = null;

before(async () => {
  emulator = await startEmulator({});
  hook = await startWebhookServer((n) => (answers[n] = refusing ? 503 : 200));
  dirs = await makeDirs('rdl-alert-daemon-retry-');
});

after(async () => {
  await killIfRunning(daemon);
  await hook.close();
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
});

/** The events the webhook accepted (answered 200). */
const accepted = (): string[] =>
  hook.requests
    .filter((_r, i) => answers[i] === 200)
    .map((r) => {
      const b = r.body as { event: string; condition: string };
      return `${b.event} ${b.condition}`;
    });

test('a raise the webhook refused is delivered by the next daemon once the webhook is back, then resolved', async () => {
  await writeConfig(
    dirs.configDir,
    testSettings(dirs, emulator, { site: 'Site8_Retry', alertWebhookFormat: 'generic' }),
    emulator,
  );
  const env: CliEnv = { home: dirs.root };
  await new AlertSecretStore(dirs.configDir).set('webhook-url', `${hook.url}/hooks/${TOKEN}`);
  const logFile = path.join(dirs.configDir, 'logs', 'rdl-sync.log');
  const log = (): Promise<string> => fs.readFile(logFile, 'utf8').catch(() => '');

  const start = async (): Promise<ChildProcess> => {
    const child = spawnCli(['run', '--config-dir', dirs.configDir], env);
    daemon = child;
    await waitFor('the daemon’s first pass', async () => {
      const p = await readPublishedStatus(dirs.configDir);
      return p && p.pid === child.pid && p.status.lastPassMs !== null ? p : null;
    });
    return child;
  };
  const stop = async (child: ChildProcess): Promise<void> => {
    child.kill('SIGTERM');
    assert.equal((await exited(child)).code, 0);
  };

  // The card is out while the webhook refuses (its own retries, about 15 s, all refused).
  await fs.rm(dirs.archiveDir, { recursive: true });
  let child = await start();
  await waitFor('the raise refused', async () => /alert channel failed/.test(await log()), 40_000);
  assert.deepEqual(accepted(), []);
  assert.ok(hook.requests.length > 0);
  // `rdl-sync status` beside it says the webhook fails, and what it holds back.
  const shown = await waitFor('the failing webhook in `rdl-sync status`', async () => {
    const r = await runCli(['status', '--config-dir', dirs.configDir], env);
    return /^! Alerts by webhook/m.test(r.stdout) ? r.stdout : null;
  });
  assert.match(
    shown,
    /^! Alerts by webhook \(generic\) to 127\.0\.0\.1:\d+ are not getting through \(.*503.*\): 1 alert waits to be sent again; check the alert settings, then rdl-sync alert test$/m,
  );
  assert.ok(!shown.includes(TOKEN), 'the webhook token is never shown');
  await stop(child);

  // The webhook is back; the service restarts with the card still out.
  refusing = false;
  child = await start();
  await waitFor('the raise delivered', async () => accepted().includes('raised archive-missing'));
  // The card goes back: resolved.
  await fs.mkdir(dirs.archiveDir);
  await waitFor('the clear', async () => accepted().includes('cleared archive-missing'), 40_000);
  assert.deepEqual(accepted(), ['raised archive-missing', 'cleared archive-missing']);
  await stop(child);

  const text = await log();
  assert.match(text, /alert delivered on retry/);
  assert.ok(!text.includes(TOKEN), 'the webhook token is never logged');
  const owed = JSON.parse(
    await fs.readFile(path.join(dirs.configDir, 'alerts-outbox.json'), 'utf8'),
  ) as { owed: unknown[] };
  assert.deepEqual(owed.owed, []);
});
