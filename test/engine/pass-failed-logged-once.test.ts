// A pass that fails is one error line in the log, and passes that go on failing the same way are
// not a line each. The pass runner logs a failure with its reason, and the scheduler that ran the
// pass logged the same failure again: every failed pass read as two. And a condition that fails
// every pass (a full settings disk; settings refused in a tray app) wrote an error line every
// pass, 8,640 a day at the 10 s interval, pushing everything else out of the rotated log. Now the
// first failure of a kind is logged at once, then one line every half hour while it holds
// (log/repeats.ts, with the count not logged). The real engine with its scheduler.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { createEngine, type Engine } from '../../src/engine/index.js';
import { makeDirs, testSettings, writeConfig, withHarness } from './harness.js';
import { RecordingLogger } from '../dropbox/helpers.js';
import { waitFor } from '../cli/cli-harness.js';
import { canMount, fill, fillToTheByte, smallTmpfs } from '../archive/helpers.js';

// canMount is async: `skip: !canMount()` read a Promise, never skipped (a sandbox without mounts
// then failed these tests instead of skipping them).
const mountable = await canMount();

/** Passes ended so far, from the status's "a pass is running" turning off. */
function countPasses(engine: Engine): { ended: () => number; off: () => void } {
  let ended = 0;
  let running = false;
  const off = engine.onStatus((s) => {
    if (running && !s.passRunning) ended++;
    running = s.passRunning === true;
  });
  return { ended: () => ended, off };
}

/**
 * A real engine (not started) whose settings folder is a 1 MiB tmpfs of its own, small enough to
 * fill in a moment, syncing to the emulator without an archive; its passes counted.
 */
async function engineOnSmallSettingsDisk(t: TestContext, prefix: string) {
  const dirs = await makeDirs();
  t.after(() => fs.rm(dirs.root, { recursive: true, force: true }));
  const emulator = await startEmulator();
  t.after(() => emulator.close());
  const configDir = smallTmpfs(t, prefix, 1024);
  await writeConfig(configDir, testSettings(dirs, emulator, { archiveEnabled: false }), emulator);
  const logger = new RecordingLogger();
  const engine = await createEngine({
    configDir,
    home: dirs.root,
    logger,
    retry: { baseMs: 10, capMs: 50, maxAttempts: 3 },
  });
  t.after(() => engine.stop());
  const passes = countPasses(engine);
  t.after(() => passes.off());
  return { dirs, configDir, logger, engine, passes };
}

const failureLines = (logger: RecordingLogger): string[] =>
  logger.lines.filter((l) => l.startsWith('error ') && l.includes('pass failed'));

test(
  'passes failing on a full settings disk: one line, not one (or two) per pass',
  { skip: !mountable && 'this sandbox does not allow mounts' },
  async (t) => {
    const { dirs, configDir, logger, engine, passes } = await engineOnSmallSettingsDisk(
      t,
      'rdl-pass-failed-config-',
    );

    // Started first (a start on a full settings disk is refused, as it should be), then full.
    await engine.start();
    await fill(configDir);
    await fs.mkdir(path.join(dirs.watchDir, 'RDL'), { recursive: true });
    await fs.writeFile(path.join(dirs.watchDir, 'RDL', 'a.csv'), 'a\n');
    // Passes every 2 s, each failing to save the file's journal entry.
    await waitFor('a failed pass', async () => failureLines(logger).length >= 1, 30_000);
    const endedAtFirst = passes.ended();
    await waitFor('three more passes', async () => passes.ended() >= endedAtFirst + 3, 30_000);
    const lines = failureLines(logger);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /"reason":"[^"]+"/);
    assert.ok(
      engine.getStatus().problems.length > 0,
      'the failure is a visible problem, not only a log line',
    );

    await engine.stop();
  },
);

test('settings refused in a running engine (a tray app): one line for many refused passes', async () => {
  const logger = new RecordingLogger();
  // 1 s is below the 2 s allowed: the engine starts (a tray app does), its passes are refused.
  await withHarness({ settings: { intervalSeconds: 1 }, engine: { logger } }, async (h) => {
    const passes = countPasses(h.engine);
    try {
      await h.engine.start();
      // "Sync now" until three passes were refused (the interval in force is the default 10 s).
      await waitFor(
        'three refused passes',
        async () => {
          h.engine.syncNow();
          return passes.ended() >= 3;
        },
        60_000,
      );
    } finally {
      passes.off();
    }
    await h.engine.stop();
    const lines = failureLines(logger);
    assert.equal(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /Settings need fixing: intervalSeconds/);
    assert.ok(h.engine.getStatus().problems.some((p) => p.id === 'settings-invalid'));
  });
});

// The quieter holds back a failure like the last one for half an hour; a pass that went well ends
// the condition, so the same failure coming back after it is news, logged at once. Otherwise a
// settings disk that filled again ten minutes after it was freed would fail every pass unseen in
// the log for up to half an hour. Real engine: its settings disk filled, freed (a good pass),
// filled again.
test(
  'a pass that went well starts afresh: the same failure after it is logged at once',
  { skip: !mountable && 'this sandbox does not allow mounts' },
  async (t) => {
    const { dirs, configDir, logger, engine, passes } = await engineOnSmallSettingsDisk(
      t,
      'rdl-pass-afresh-config-',
    );
    const passFailed = (): boolean =>
      engine.getStatus().problems.some((p) => p.id === 'pass-failed');
    const dataDir = path.join(dirs.watchDir, 'RDL');
    await fs.mkdir(dataDir, { recursive: true });

    await engine.start();
    // Full (to the byte: the journal's small save must not fit): passes fail, one line for all.
    let filler = await fill(configDir);
    await fillToTheByte(filler);
    await fs.writeFile(path.join(dataDir, 'a.csv'), 'a\n');
    await waitFor('a failed pass', async () => failureLines(logger).length >= 1, 30_000);
    const endedAtFirst = passes.ended();
    await waitFor('two more passes', async () => passes.ended() >= endedAtFirst + 2, 30_000);
    assert.equal(failureLines(logger).length, 1, failureLines(logger).join('\n'));
    const first = failureLines(logger)[0]!;

    // Room again: a pass goes well (the file synced, the failure's problem cleared).
    await fs.rm(filler);
    await waitFor('a pass that went well', async () => !passFailed(), 30_000);
    assert.equal(failureLines(logger).length, 1, 'no failure while there was room');

    // Full again, the same way: the failure is logged at once, not held back as a repeat. (The
    // engine's own files are rewritten meanwhile, freeing a page here and there: filled again
    // until a pass fails, with a new file to sync each time.)
    filler = await fill(configDir);
    let n = 0;
    await waitFor(
      'the failure again',
      async () => {
        await fillToTheByte(filler);
        await fs.writeFile(path.join(dataDir, `b${n++}.csv`), 'b\n');
        return passFailed();
      },
      30_000,
    );
    const lines = failureLines(logger);
    assert.equal(lines.length, 2, lines.join('\n'));
    // The same failure (the quieter's kind is its reason), and a first line: nothing held back.
    const reason = (l: string): string => /"reason":"([^"]+)"/.exec(l)?.[1] ?? l;
    assert.equal(reason(lines[1]!), reason(first));
    assert.doesNotMatch(lines[1]!, /passesNotLogged/);
    await fs.rm(filler);
    await engine.stop();
  },
);
