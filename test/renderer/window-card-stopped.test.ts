// The status window beside an SD card that is in its reader but stopped answering (a FUSE card's
// driver stopped, a reader's firmware hung): in Chromium over a real engine and a real FUSE card.
// The card's line said "Not found", and a person went to insert a card that was inserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumInstalled, openWindow, until } from './window-harness.js';
import { cardsUnavailable, mountedCard } from '../archive/helpers.js';

const unavailable = cardsUnavailable();

async function cardLine(page: Page): Promise<string> {
  return (await page.textContent('#card-archive + dl'))?.trim() ?? '';
}

test(
  'a card that stops answering reads "Not answering" in the window, and present again once it answers',
  { timeout: 120_000 },
  async (t) => {
    if (unavailable) return t.skip(unavailable);
    if (!(await chromiumInstalled())) return t.skip('Chromium not installed at /usr/bin/chromium');
    const m = await mountedCard('fat32', 40);
    // Were this process held, only another process could thaw the card.
    const rescue = m.card.armThawFromOutside(60_000);
    const w = await openWindow(
      { archiveDir: m.dir, archiveMustBeMountPoint: true, intervalSeconds: 3600 },
      undefined,
      { engine: { archiveAnswerMs: 2_000 } },
    );
    const { page } = w;
    try {
      await page.click('#tab-status');
      await until('the card present after the first pass', async () =>
        /Present and writable/.test(await cardLine(page)),
      );

      rescue.freeze();
      const file = path.join(w.watchDir, 'RDL', 'USB0', 'stopped.csv');
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, 'while the card hangs\n');
      const before = w.engine.getStatus().lastPassMs ?? 0;
      await page.click('#btn-sync-now');
      await until('a pass over while the card hangs', () => {
        const s = w.engine.getStatus();
        return (s.lastPassMs ?? 0) > before && s.state !== 'syncing';
      });
      const line = await until('the card said not answering', async () => {
        const l = await cardLine(page);
        return /Not answering/.test(l) ? l : undefined;
      });
      assert.doesNotMatch(line, /Not found/);
      assert.ok(
        w.engine.getStatus().problems.some((p) => /has not answered/.test(p.message)),
        'the problem that says what to do is raised beside it',
      );
      // Dropbox went on while the card hung.
      assert.ok(w.emulator.getFile('/RDL/site1/RDL/USB0/stopped.csv'));
      assert.equal(rescue.stop(), false, 'this process went on while the card was stopped');

      m.card.thaw();
      await until('the card present again after it answers', async () => {
        await page.click('#btn-sync-now');
        return /Present and writable/.test(await cardLine(page));
      });
    } finally {
      m.card.thaw();
      await w.close();
      await m.done();
    }
  },
);
