// The lifecycle's promise that passes never overlap, whoever asks for them: the scheduler (its
// first pass at start, its interval, "Sync now") and runPassNow (`rdl-sync once`, the tests' way
// to drive an engine). Two passes side by side would scan, stage and commit the same files twice.
// A real scheduler and the real run lock on a real folder; the pass itself is a stand-in that
// records when it ran, which is what these tests are about.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Lifecycle } from '../../src/engine/services/lifecycle.js';
import type { PassRunner } from '../../src/engine/services/pass-runner.js';
import type { PipelineBuilder } from '../../src/engine/services/pipeline-builder.js';
import type { PauseState } from '../../src/engine/services/pause-state.js';
import type { PassReport } from '../../src/engine/pipeline/pass.js';
import { StatusModel } from '../../src/engine/status/model.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { LOCK_FILE } from '../../src/engine/run-lock.js';
import { silentLogger, systemClock, type Logger } from '../../src/engine/ports.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface PassLog {
  /** Passes running now, and the most there ever were at once. */
  active: number;
  maxActive: number;
  /** Passes begun. */
  began: number;
  /** Passes that saw their signal aborted before they ended. */
  aborted: number;
}

/** A pass that takes `ms` (or until aborted) and records itself. */
function slowPasses(ms: number): { runner: PassRunner; log: PassLog } {
  const log: PassLog = { active: 0, maxActive: 0, began: 0, aborted: 0 };
  const runner = {
    run: async (signal: AbortSignal): Promise<PassReport> => {
      log.active++;
      log.maxActive = Math.max(log.maxActive, log.active);
      log.began++;
      try {
        await new Promise<void>((resolve) => {
          // As the real pass: one begun with its signal already aborted ends at once.
          if (signal.aborted) {
            log.aborted++;
            return resolve();
          }
          const t = setTimeout(resolve, ms);
          signal.addEventListener('abort', () => {
            clearTimeout(t);
            log.aborted++;
            resolve();
          });
        });
      } finally {
        log.active--;
      }
      return { staged: 0, uploaded: 0, archived: 0, done: 0 } as unknown as PassReport;
    },
  };
  return { runner: runner as unknown as PassRunner, log };
}

/** Each test's config folder, removed when the file's tests are done. */
const configDirs: string[] = [];
after(() => Promise.all(configDirs.map((d) => fs.rm(d, { recursive: true, force: true }))));

async function lifecycle(
  runner: PassRunner,
  opts: { readOnly?: boolean; logger?: Logger } = {},
): Promise<{ life: Lifecycle; configDir: string; status: StatusModel }> {
  const configDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-lifecycle-'));
  configDirs.push(configDir);
  const settings = { ...defaultSettings(), scheduleMode: 'interval', intervalSeconds: 3600 };
  const status = new StatusModel(() => Date.now());
  const life = new Lifecycle({
    configDir,
    readOnly: opts.readOnly ?? false,
    followPause: false,
    clock: systemClock,
    logger: opts.logger ?? silentLogger,
    status,
    // No pipeline deps: prepareFolders has no folders to make (the pass is the stand-in's).
    builder: { built: { settings, deps: undefined } } as unknown as PipelineBuilder,
    passes: runner,
    pause: () =>
      ({ follow: () => {}, stop: () => {}, tellAtStart: () => {} }) as unknown as PauseState,
  });
  return { life, configDir, status };
}

const lockExists = (configDir: string): Promise<boolean> =>
  fs.access(path.join(configDir, LOCK_FILE)).then(
    () => true,
    () => false,
  );

test('runPassNow never overlaps a scheduled pass: the first pass at start, then one in turn', async () => {
  const { runner, log } = slowPasses(150);
  const { life } = await lifecycle(runner);
  try {
    await life.start(); // arms the scheduler's first pass for the next turn of the event loop
    const asked = life.runPassNow(); // asked for before that first pass began
    await sleep(20);
    life.syncNow(); // a person's "Sync now" while passes are under way
    const second = life.runPassNow();
    await Promise.all([asked, second]);
    await life.running?.idle();
    assert.equal(log.maxActive, 1, 'two passes ran at once');
    // The one asked for, the scheduler's first, the second asked for, then the "Sync now".
    assert.equal(log.began, 4);
  } finally {
    await life.stop();
  }
});

test('a scheduled pass that falls due during runPassNow waits for it', async () => {
  const { runner, log } = slowPasses(200);
  const { life } = await lifecycle(runner);
  try {
    await life.start();
    await sleep(20); // the scheduler's first pass is running
    const first = life.runPassNow();
    const second = life.runPassNow();
    life.syncNow();
    life.syncNow();
    await Promise.all([first, second]);
    await life.running?.idle();
    assert.equal(log.maxActive, 1);
    // The first scheduled pass, the two asked for, and one for the two "Sync now" (coalesced).
    assert.equal(log.began, 4);
  } finally {
    await life.stop();
  }
});

test('stop waits for a runPassNow pass to end (aborted) before it gives the run lock back', async () => {
  const { runner, log } = slowPasses(60_000);
  const { life, configDir } = await lifecycle(runner);
  // Not started, as under `rdl-sync once`: the pass holds the lock for itself.
  const pass = life.runPassNow();
  try {
    for (let i = 0; i < 100 && log.active === 0; i++) await sleep(10);
    assert.equal(log.active, 1, 'the pass began');
    assert.equal(await lockExists(configDir), true, 'the pass holds the run lock');
    await life.stop();
    assert.equal(log.active, 0, 'stop() returned while the pass still ran');
    assert.equal(log.aborted, 1);
    assert.equal(await lockExists(configDir), false);
    await pass;
    await assert.rejects(life.runPassNow(), /stopping/, 'no pass after stop');
  } finally {
    // Also when an assertion above failed: the minute-long pass must not outlive the test.
    await life.stop();
  }
});

test('a scheduled pass still waiting its turn when stop() comes never begins', async () => {
  const { runner, log } = slowPasses(60_000);
  const { life } = await lifecycle(runner);
  try {
    await life.start();
    const asked = life.runPassNow(); // in turn before the scheduler's first pass, as above
    for (let i = 0; i < 100 && !(log.active === 1 && life.running?.isRunning); i++) await sleep(10);
    assert.equal(log.active, 1, 'the pass asked for began');
    assert.equal(life.running?.isRunning, true, "the scheduler's first pass waits its turn");
    await life.stop();
    await asked;
    // The one asked for, aborted; the scheduler's, whose turn came only after the stop, not at all.
    assert.equal(log.began, 1, 'a pass began after stop()');
    assert.equal(log.aborted, 1);
  } finally {
    await life.stop();
  }
});

test('"Sync now" on an engine that cannot run a pass says why in the log, and throws nothing', async () => {
  const { runner, log } = slowPasses(10);
  const warnings: string[] = [];
  const logger: Logger = {
    ...silentLogger,
    warn: (message, fields) => warnings.push(`${message} ${JSON.stringify(fields)}`),
  };
  const { life } = await lifecycle(runner, { readOnly: true, logger });
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    life.syncNow();
    for (let i = 0; i < 100 && warnings.length === 0; i++) await sleep(10);
    await sleep(20);
    assert.deepEqual(unhandled, []);
    assert.equal(log.began, 0);
    assert.match(warnings.join('\n'), /"Sync now" did not run a pass.*read-only/);
  } finally {
    process.off('unhandledRejection', onUnhandled);
    await life.stop();
  }
});

test('"Sync now" while the engine starts becomes the scheduler\'s pass, not a rival for the lock', async () => {
  const { runner, log } = slowPasses(100);
  const warnings: string[] = [];
  const logger: Logger = { ...silentLogger, warn: (m) => warnings.push(m) };
  const { life } = await lifecycle(runner, { logger });
  try {
    const started = life.start();
    life.syncNow(); // the tray's menu is up before start() has taken the lock
    await started;
    for (let i = 0; i < 200 && log.began < 1; i++) await sleep(10);
    await life.running?.idle();
    await sleep(300); // room for a second pass (100 ms each) to show, had one been queued
    await life.running?.idle();
    assert.deepEqual(warnings, []);
    assert.equal(log.maxActive, 1);
    // The one asked for joins the first pass that start() armed for the next turn of the event
    // loop: one click, one pass (it used to queue a second pass right behind the first).
    assert.equal(log.began, 1);
  } finally {
    await life.stop();
  }
});
