// `rdl-sync sync` beside a running engine saves an ask in the settings file's runtime state; the
// running engine's PauseState follows it. Each claim of that protocol, on a real settings file
// written by one service (the command) and read by another (the daemon): an ask from before the
// engine first looked is old news; one that comes while it starts is served once it runs passes;
// each ask is served once; a pause written meanwhile keeps the ask; an engine that runs no passes
// (a side command's) never serves one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { PauseState, type PauseTarget } from '../../src/engine/services/pause-state.js';
import { openSettingsService } from '../../src/engine/services/settings-service.js';
import { loadSettingsWriter } from '../../src/engine/settings/store.js';
import { StatusModel } from '../../src/engine/status/model.js';
import { silentLogger, systemClock } from '../../src/engine/ports.js';
import type { Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from './harness.js';

/** Valid settings need an app key and an endpoint; nothing here talks to Dropbox. */
const NO_DROPBOX = { appKey: 'test-app-key', url: 'http://127.0.0.1:9' } as Emulator;

test('a saved sync ask is served once, only by an engine that runs passes, and not when it predates the engine', async () => {
  const dirs = await makeDirs('rdl-sync-ask-');
  const { configDir } = dirs;
  try {
    await writeConfig(configDir, testSettings(dirs, NO_DROPBOX), null);
    await loadSettingsWriter(); // as every command that writes the file does first
    const command = openSettingsService({ configDir });
    const daemon = openSettingsService({ configDir });
    let served = 0;
    let runsPasses = false;
    const target: PauseTarget = { setPaused: () => {}, triggerNow: () => {}, isRunning: false };
    const follower = (canRun: () => boolean) =>
      new PauseState({
        settings: daemon,
        clock: systemClock,
        logger: silentLogger,
        status: new StatusModel(() => Date.now()),
        target: () => (canRun() ? target : null),
        syncAsked: () => served++,
      });
    const pause = follower(() => runsPasses);
    const side = follower(() => false);
    // The command's side (Engine.askSyncNow), at times the test sets.
    let askAtMs = 0;
    const asker = new PauseState({
      settings: command,
      clock: { ...systemClock, now: () => askAtMs },
      logger: silentLogger,
      status: new StatusModel(() => Date.now()),
      target: () => null,
      syncAsked: () => assert.fail('the asking command served an ask'),
    });
    const ask = (atMs: number) => {
      askAtMs = atMs;
      return asker.askSyncNow();
    };

    await ask(1_000);
    pause.apply();
    side.apply();
    assert.equal(served, 0, 'an ask saved before the engine first looked was served');

    await ask(2_000); // while the daemon is still starting: no scheduler yet
    pause.apply();
    assert.equal(served, 0, 'served before the engine could run a pass');
    runsPasses = true;
    pause.apply();
    assert.equal(served, 1, 'the ask made while starting, once it runs passes');
    pause.apply();
    pause.apply();
    assert.equal(served, 1, 'the same saved ask served again');

    // `rdl-sync pause` and `resume` from another process rewrite the state: the ask stays.
    await command.changeState(() => ({ paused: true, pausedUntilMs: null }));
    await command.changeState(() => ({ paused: false, pausedUntilMs: null }));
    assert.equal(daemon.getState().syncAskedAtMs, 2_000);
    pause.apply();
    assert.equal(served, 1);

    await ask(3_000);
    pause.apply();
    side.apply();
    assert.equal(served, 2, 'a new ask, once, and never by the side engine');

    // A wall clock stepped back (a Pi at boot): the ask still grows past the last one, or the
    // command would take the last ask's pass for its own; and it is served.
    assert.equal(await ask(1_500), 3_001);
    pause.apply();
    assert.equal(served, 3, 'an ask after a clock step back');
    pause.stop();
    side.stop();
  } finally {
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});
