// A file Dropbox keeps under another name, in the Transfers tab of the window over a real engine
// and the Dropbox emulator. `Case.txt` and `case.txt` are two files on Linux and one name on
// Dropbox, so the second is kept as `case (1).txt`; the row read "Done" and the name it has there
// was only in a tooltip, which keyboard users and screenshots never see (user trial).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { chromiumInstalled, openWindow, until, type WindowHarness } from './window-harness.js';

async function dropAndSync(w: WindowHarness, rel: string, content: string): Promise<void> {
  const p = path.join(w.watchDir, ...rel.split('/'));
  await fs.mkdir(path.dirname(p), { recursive: true });
  await fs.writeFile(p, content);
  const done = () => w.engine.getStatus().counts.doneThisRun;
  const before = done();
  for (let i = 0; i < 4 && done() === before; i++) await w.engine.runPassNow();
  assert.equal(done(), before + 1, `${rel} synced`);
}

test('a file Dropbox kept under another name says so in its row, in words on screen', async (t) => {
  if (!(await chromiumInstalled())) return t.skip('Chromium not installed at /usr/bin/chromium');
  const w = await openWindow({ intervalSeconds: 3600 });
  const { page } = w;
  try {
    await until('the first pass over', () => w.engine.getStatus().lastPassMs !== null);
    // One after the other, so which of the two Dropbox renames is known.
    await dropAndSync(w, 'odd names/Case.txt', 'upper\n');
    await dropAndSync(w, 'odd names/case.txt', 'lower, different\n');
    assert.ok(w.emulator.getFile('/RDL/site1/odd names/case (1).txt'), 'Dropbox renamed it');
    await page.click('#tab-transfers');
    const row = (rel: string) => `#history-rows tr[data-rel="${rel}"]`;
    await page.waitForSelector(row('odd names/case.txt'), { timeout: 10_000 });
    const cells = async (rel: string) =>
      page.$eval(row(rel), (tr) =>
        ['td.leg-upload', 'td.leg-archive'].map(
          (c) => (tr.querySelector(c) as HTMLElement | null)?.innerText.trim() ?? '',
        ),
      );
    // innerText: what is rendered, as a screen reader and a screenshot get it (not the title).
    assert.deepEqual(await cells('odd names/case.txt'), ['Done as case (1).txt', 'Done']);
    // The first kept its own name; the card (a folder on Linux here) keeps both names as they are.
    assert.deepEqual(await cells('odd names/Case.txt'), ['Done', 'Done']);

    // The archive leg numbers its copy too when a different file holds the name there.
    await fs.mkdir(path.join(w.archiveDir, 'odd names'), { recursive: true });
    await fs.writeFile(path.join(w.archiveDir, 'odd names', 'notes.txt'), 'someone else’s\n');
    await dropAndSync(w, 'odd names/notes.txt', 'ours\n');
    await page.waitForSelector(row('odd names/notes.txt'), { timeout: 10_000 });
    assert.deepEqual(await cells('odd names/notes.txt'), ['Done', 'Done as notes (1).txt']);
  } finally {
    await w.close();
  }
});
