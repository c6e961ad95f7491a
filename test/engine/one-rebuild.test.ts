// One settings change is one rebuild of the pipeline: a save from the window (the facade), an
// edit of the file by another process (the watcher), and a legacy import (settings and token)
// each rebuild exactly once. Counted from the engine's own log line, 'pipeline rebuilt'.
// (Before the services split a window save rebuilt twice, concurrently, and an import three times.)
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../src/engine/ports.js';
import { currentPiHub } from '../legacy/fixtures.js';
import { withHarness } from './harness.js';

function countingLogger(): { logger: Logger; rebuilds: () => string[] } {
  const reasons: string[] = [];
  const note = (message: string, fields?: Record<string, unknown>): void => {
    if (message === 'pipeline rebuilt') reasons.push(String(fields?.reason));
  };
  return {
    logger: { debug: note, info: note, warn: note, error: note },
    rebuilds: () => [...reasons],
  };
}

async function until(what: string, check: () => boolean, deadlineMs = 20_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a save from the window and an edit of the file each rebuild the pipeline once', async () => {
  const { logger, rebuilds } = countingLogger();
  await withHarness({ engine: { logger, watchConfig: true } }, async (h) => {
    assert.deepEqual(rebuilds(), ['start']);
    await h.engine.start();

    const saved = await h.engine.saveSettings({ ...h.settings, intervalSeconds: 7 });
    assert.ok(saved.ok);
    assert.equal(h.engine.getSettings().intervalSeconds, 7);
    assert.deepEqual(rebuilds(), ['start', 'settings changed'], 'the save rebuilt once');

    // Another process edits the file: the watcher notices, and that is one rebuild too. Seeing it
    // also means the watcher has looked at the file since the save, whose echo must add none.
    const file = path.join(h.configDir, 'config.json');
    const onDisk = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    await fs.writeFile(file, JSON.stringify({ ...onDisk, intervalSeconds: 9 }, null, 2));
    await until('the edit to apply', () => h.engine.getSettings().intervalSeconds === 9);
    await until('its rebuild to finish', () => rebuilds().length >= 3);
    assert.deepEqual(rebuilds(), ['start', 'settings changed', 'settings changed']);

    // Saving what is already saved is no change: no rebuild.
    const same = await h.engine.saveSettings({ ...h.settings, intervalSeconds: 9 });
    assert.ok(same.ok);
    assert.equal(rebuilds().length, 3);
  });
});

test('a legacy import (settings and token) rebuilds the pipeline once', async () => {
  const { logger, rebuilds } = countingLogger();
  await withHarness({ engine: { logger }, connect: false }, async (h) => {
    const hub = await currentPiHub(path.join(h.root, 'home', 'pi', 'SHELF3'));
    const up = path.join(h.root, 'dropbox_uploader');
    await fs.writeFile(
      up,
      `OAUTH_APP_KEY=${h.emulator.appKey}\nOAUTH_REFRESH_TOKEN=${h.emulator.issueRefreshToken()}\n`,
    );
    assert.equal(h.engine.getStatus().dropbox.connected, false);
    const before = rebuilds().length;
    const report = await h.engine.importLegacy({ root: hub.root, uploaderConfigPath: up });
    assert.equal(report.credentialsImported, true);
    assert.ok(report.changes.length > 0);
    assert.deepEqual(rebuilds().slice(before), ['settings changed'], 'one rebuild for the import');
    // That one rebuild saw both the settings and the token.
    assert.equal(h.engine.getStatus().dropbox.connected, true);
    assert.equal(h.engine.getSettings().watchDir, path.join(hub.base, '2_tosync'));
  });
});
