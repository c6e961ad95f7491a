// A running daemon paused by a person: the loggers go on writing, and status (and the fleet's
// backlog, read from it) said "Waiting in watch folder: 0" for as long as the pause lasted, over
// every file written since; a card pulled meanwhile went unsaid. Now each pass that falls due
// while paused counts the watch folder and checks the card, moving nothing (lifecycle.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { listFilesRel, withHarness } from './harness.js';

async function until(what: string, ok: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('while paused, files arriving are counted and a card pulled is said; nothing moves', async () => {
  await withHarness({}, async (h) => {
    // The logger's files (the fleet's heartbeat goes to Dropbox too, paused or not).
    const onDropbox = () =>
      h.emulator
        .listFiles()
        .map((f) => f.pathDisplay)
        .filter((p) => p.startsWith('/RDL/site1/'));
    await h.engine.start();
    await h.engine.pause(null);
    await until('the pause', () => h.engine.getStatus().paused);

    for (let i = 0; i < 7; i++) await h.drop(`RDL/USB0/2026-12/f${i}.csv`, `t,v\n${i},1\n`);
    await until('7 files counted waiting', () => h.engine.getStatus().counts.waiting === 7);

    // The card is pulled while paused: said within a due pass, as a pass would say it.
    const away = `${h.archiveDir}-away`;
    await fs.rename(h.archiveDir, away);
    await until('the missing card said', () =>
      h.engine.getStatus().problems.some((p) => p.code === 'archive-missing'),
    );
    await fs.rename(away, h.archiveDir);
    await until(
      'the card back cleared',
      () => !h.engine.getStatus().problems.some((p) => p.code === 'archive-missing'),
    );

    assert.equal(h.engine.getStatus().paused, true, 'counting did not resume syncing');
    assert.equal((await listFilesRel(h.watchDir)).length, 7, 'nothing moved while paused');
    assert.deepEqual(await listFilesRel(h.transitDir), []);
    assert.deepEqual(onDropbox(), []);

    // Resumed, the same files go, and the count follows them down.
    await h.engine.resume();
    await until('the files synced', () => onDropbox().length === 7);
    await until('0 waiting', () => h.engine.getStatus().counts.waiting === 0);
    assert.deepEqual(
      (await listFilesRel(h.archiveDir)).sort(),
      Array.from({ length: 7 }, (_, i) => `RDL/USB0/2026-12/f${i}.csv`),
    );
  });
});
