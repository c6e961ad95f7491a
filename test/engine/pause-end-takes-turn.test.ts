// The engine writes runtime state into the settings file too: a pause, and (the daemon, the tray
// app) the clearing of a timed pause that has ended. It did so without waiting for the settings
// lock every other writer takes (`rdl-sync settings set`, `pause`, `resume`), so it could write
// between another writer's read and write: a `rdl-sync pause` made at the moment an hour's pause
// ended could be cleared again, the person told "Paused" while the hub synced on. Here a real
// engine's timed pause ends while the lock is held (as a CLI mid-edit holds it), and a real
// `rdl-sync pause` runs at that moment.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withHarness } from './harness.js';
import { runCli, waitFor } from '../cli/cli-harness.js';
import { tryLockFile } from '../../src/engine/run-lock.js';

async function savedState(configDir: string): Promise<unknown> {
  const file = JSON.parse(await fs.readFile(path.join(configDir, 'config.json'), 'utf8')) as {
    state?: unknown;
  };
  return file.state;
}

test('a timed pause that ends waits its turn to be cleared, and a pause made at that moment stays', async () => {
  // Publishing its status, as the daemon and tray app do: `pause` waits to see it followed.
  await withHarness({ engine: { watchConfig: true, publishStatus: true } }, async (h) => {
    await h.engine.start();
    await h.engine.pause(1_500);
    assert.equal(h.engine.getStatus().paused, true);

    // Held as `rdl-sync settings set` holds it between its read and its write.
    const got = await tryLockFile(h.configDir, 'settings.lock');
    assert.ok('lock' in got, 'the settings lock is free before the test takes it');
    let pauseCli: ReturnType<typeof runCli>;
    try {
      await waitFor('the engine to see its pause end', async () => !h.engine.getStatus().paused);
      // Before: the engine wrote "running" into the file at once, in the middle of another edit.
      assert.equal(
        ((await savedState(h.configDir)) as { paused: boolean }).paused,
        true,
        'the engine does not write the file while another writer holds the settings lock',
      );
      // A person pauses at that very moment; the command waits for the lock like the engine.
      pauseCli = runCli(['pause', '--config-dir', h.configDir], { home: h.root });
    } finally {
      await got.lock.release();
    }
    const paused = await pauseCli;
    assert.equal(paused.code, 0, paused.stdout + paused.stderr);
    await waitFor('the engine to follow the new pause', async () => h.engine.getStatus().paused);
    // Stopping waits for the engine's own clearing, whichever took the lock first.
    await h.engine.stop();
    const state = (await savedState(h.configDir)) as { paused: boolean; pausedUntilMs: unknown };
    assert.equal(state.paused, true, 'the pause said saved is in the file: the clearing kept it');
    assert.equal(state.pausedUntilMs, null, 'until resumed, as `rdl-sync pause` said');
    assert.equal(h.engine.getStatus().paused, true);
  });
});
