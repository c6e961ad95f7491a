// Retention runs once a day after a pass. A pass cut short (a pause now ends the pass under way)
// must not count as that day's run: it put retention off for a day and logged "retention: not
// run". The real HubHealth on real folders and a real history file; Dropbox not connected, so a
// run that is attempted asks for the Dropbox lookup and stops there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HubHealth } from '../../src/engine/health/hub-health.js';
import { History } from '../../src/engine/history/index.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { systemClock } from '../../src/engine/ports.js';
import { RecordingLogger } from '../dropbox/helpers.js';

test("a pass cut short does not use up the day's retention run", async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-retention-pause-'));
  try {
    const settings = {
      ...defaultSettings(root),
      watchDir: path.join(root, 'watch'),
      transitDir: path.join(root, 'transit'),
      archiveDir: path.join(root, 'card'),
      // A plain folder: retention never runs on a card's empty mount point (retention/card-away).
      archiveMustBeMountPoint: false,
      retentionEnabled: true,
      retentionMinFreePercent: 10,
    };
    for (const d of [settings.watchDir, settings.transitDir, settings.archiveDir])
      await fs.mkdir(d, { recursive: true });
    const history = await History.open(path.join(root, 'history.jsonl'), 1000);
    const logger = new RecordingLogger();
    let attempts = 0;
    const health = new HubHealth({
      report: () => {},
      history,
      clock: systemClock,
      logger,
      remoteLookup: async () => {
        attempts++;
        return null;
      },
    });
    const paused = new AbortController();
    paused.abort(new Error('paused'));
    await health.afterPass(settings, paused.signal);
    assert.equal(attempts, 0, 'no retention after a pass cut short');
    assert.ok(!logger.lines.some((l) => l.includes('retention: not run')));
    await health.afterPass(settings, new AbortController().signal);
    assert.equal(attempts, 1, 'the next whole pass runs it');
    await history.close();
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});
