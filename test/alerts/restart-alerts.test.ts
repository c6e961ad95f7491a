// A hub's service is restarted more often than a person thinks: every reboot (the hubs reboot
// themselves after 12 h offline), every upgrade, systemd after a failure. Found on the hub walk:
// with a silent logger announced, `systemctl restart` sent the same "needs attention" again 20 s
// later, whatever alertReminderHours said, and a condition healed while the service was down was
// never resolved. A real daemon (child process), a loopback webhook, the emulator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { AlertSecretStore } from '../../src/engine/alerts/secrets.js';
import {
  exited,
  readPublishedStatus,
  spawnCli,
  waitFor,
  type CliEnv,
  killIfRunning,
} from '../cli/cli-harness.js';
import { startWebhookServer, type LoopbackHttp } from './loopback.js';

let emulator: Emulator;
let hook: LoopbackHttp;
let dirs: Awaited<ReturnType<typeof makeDirs>>;
let daemon: ChildProcess | null = null;

before(async () => {
  emulator = await startEmulator({});
  hook = await startWebhookServer();
  dirs = await makeDirs('rdl-alert-restart-');
});

after(async () => {
  await killIfRunning(daemon);
  await hook.close();
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
});

const events = (): string[] =>
  hook.requests.map((r) => {
    const b = r.body as { event: string; condition: string };
    return `${b.event} ${b.condition}`;
  });

test('a restarted daemon neither repeats an open alert nor forgets to resolve one healed while it was down', async () => {
  await writeConfig(
    dirs.configDir,
    testSettings(dirs, emulator, { site: 'Site7_Restart', alertWebhookFormat: 'generic' }),
    emulator,
  );
  const env: CliEnv = { home: dirs.root };
  // As `rdl-sync alert secret webhook-url` saves it.
  await new AlertSecretStore(dirs.configDir).set('webhook-url', `${hook.url}/hooks/restart`);

  const start = async (): Promise<ChildProcess> => {
    const child = spawnCli(['run', '--config-dir', dirs.configDir], env);
    daemon = child;
    // Its first pass has ended: every condition has been looked at.
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

  // The card is out: announced once.
  await fs.rm(dirs.archiveDir, { recursive: true });
  let child = await start();
  await waitFor('the raise', async () => events().includes('raised archive-missing'));
  await stop(child);

  // Restarted with the card still out: the condition is known, not announced again. A second
  // pass ends before looking, so a raise that was coming has come.
  child = await start();
  const firstPass = (await readPublishedStatus(dirs.configDir))!.status.lastPassMs!;
  await waitFor('a later pass', async () => {
    const p = await readPublishedStatus(dirs.configDir);
    return p && p.pid === child.pid && p.status.lastPassMs! > firstPass;
  });
  const status = (await readPublishedStatus(dirs.configDir))!.status;
  assert.ok(
    status.problems.some((p) => p.id === 'archive-missing'),
    'still a problem',
  );
  assert.deepEqual(events(), ['raised archive-missing'], 'no second raise after the restart');
  await stop(child);

  // The card goes back while the service is down: the next start resolves it.
  await fs.mkdir(dirs.archiveDir);
  child = await start();
  await waitFor('the clear', async () => events().includes('cleared archive-missing'));
  assert.deepEqual(events(), ['raised archive-missing', 'cleared archive-missing']);
  const cleared = hook.requests[1]!.body as { message: string };
  // A plain folder as the archive (not a mounted card): named as one.
  assert.match(
    cleared.message,
    /^Resolved: the archive out of reach, which began .* UTC and lasted .*\. It last read: “Archive folder .* does not exist/,
  );
  await stop(child);
});
