// After a restart the window said "Last file synced: just now" beside "Last pass: never" (user
// trial): the last file was restored from the history, the last pass from nothing. Both come
// back now (and when Dropbox was last reached), from what the last process kept (history, and the status it published). Real
// engines one after the other on the same folders, the emulator over HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEngine } from '../../src/engine/engine.js';
import { readStatusFile } from '../../src/engine/status/status-file.js';
import { withHarness } from './harness.js';
import { waitFor } from '../cli/cli-harness.js';
import { RecordingLogger } from '../dropbox/helpers.js';

test('the last pass is remembered across a restart, beside the last file synced', async () => {
  await withHarness({ engine: { publishStatus: true } }, async (h) => {
    await h.engine.start();
    await h.drop('RDL/USB0/a.csv', 't,v\n1,2\n');
    h.engine.syncNow();
    await waitFor('the file done and a pass ended', async () => {
      const s = h.engine.getStatus();
      return s.counts.doneThisRun === 1 && !s.passRunning && s.lastPassMs !== null;
    });
    const before = h.engine.getStatus();
    await h.engine.stop();
    const published = await readStatusFile(h.configDir);
    assert.ok(published?.status.lastPassMs, 'the stopped engine published its last pass');

    const restarted = await createEngine({ configDir: h.configDir, home: h.root });
    try {
      const s = restarted.getStatus();
      assert.ok(
        s.lastSuccessMs !== null && before.lastSuccessMs !== null,
        'the last file, from the history',
      );
      assert.equal(s.lastPassMs, published.status.lastPassMs);
      // And "Last reached", before this process reaches Dropbox itself.
      assert.ok(published.status.dropbox.lastContactMs, 'the stopped engine had reached Dropbox');
      assert.equal(s.dropbox.lastContactMs, published.status.dropbox.lastContactMs);
      assert.ok(s.lastPassMs! >= s.lastSuccessMs!, 'the pass that synced the file, or a later one');
    } finally {
      await restarted.stop();
    }
  });
});

test('a last pass dated after now (the clock set back) is not taken over', async () => {
  await withHarness({ engine: { publishStatus: true } }, async (h) => {
    await h.engine.start();
    h.engine.syncNow();
    await waitFor('a pass ended', async () => h.engine.getStatus().lastPassMs !== null);
    await h.engine.stop();
    const clock = {
      now: () => Date.now() - 24 * 3600_000,
      sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    };
    const restarted = await createEngine({ configDir: h.configDir, home: h.root, clock });
    try {
      assert.equal(restarted.getStatus().lastPassMs, null);
    } finally {
      await restarted.stop();
    }
  });
});

// The log's "Dropbox answers again" gave the outage from this process's start: a service
// restarted three hours into an outage logged "unreachableFor: 2 s" when Dropbox came back.
test('Dropbox back after an outage the engine was restarted in: the log gives the span since it was last reached', async () => {
  await withHarness({ engine: { publishStatus: true } }, async (h) => {
    await h.drop('RDL/USB0/a.csv', 't,v\n1,2\n');
    await h.engine.runPassNow();
    const reachedAt = h.engine.getStatus().dropbox.lastContactMs;
    assert.ok(reachedAt !== null, 'Dropbox reached before the outage');
    await h.engine.stop();

    // Three hours later, Dropbox still down: the restarted engine meets the outage.
    const clock = {
      now: () => Date.now() + 3 * 3600_000,
      sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)),
    };
    const logger = new RecordingLogger();
    h.emulator.addFault({ kind: 'server_error', status: 503, times: 1_000_000 });
    const restarted = await createEngine({
      configDir: h.configDir,
      home: h.root,
      clock,
      logger,
      retry: { baseMs: 10, capMs: 50, maxAttempts: 2 },
    });
    try {
      await h.drop('RDL/USB0/b.csv', 't,v\n3,4\n');
      assert.ok((await restarted.runPassNow()).uploadBlocked, 'the upload waits');
      assert.equal(restarted.getStatus().state, 'offline');
      h.emulator.clearFaults();
      assert.equal((await restarted.runPassNow()).uploaded, 1);
      const answers = logger.lines.filter((l) => l.includes('Dropbox answers again'));
      assert.equal(answers.length, 1, logger.lines.join('\n'));
      assert.match(answers[0]!, /"unreachableFor":"3 h( \d+ min)?"/, answers[0]);
    } finally {
      await restarted.stop();
    }
  });
});
