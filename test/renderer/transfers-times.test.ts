// The Transfers tab left open on an idle hub: "Finished" says how long ago a file finished as
// time goes on, not the "just now" it said when it was drawn. The page's clock is Playwright's,
// moved on by hand; the engine keeps real time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { chromiumInstalled, openWindow, until } from './window-harness.js';

test('Transfers: a file’s finishing time ages while the tab stays open', async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip('Chromium not installed at /usr/bin/chromium (run scripts/setup.sh)');
    return;
  }
  const w = await openWindow({ intervalSeconds: 3600 }, undefined, {
    beforeLoad: (page) => page.clock.install(),
  });
  const { page } = w;
  try {
    const file = path.join(w.watchDir, 'RDL', 'USB0', '2026-12-01.csv');
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, 'timestamp,t\n2026-12-01T08:00:00Z,3.9\n');
    await page.click('#btn-sync-now');
    await page.click('#tab-transfers');
    const cell = '#history-rows tr[data-rel="RDL/USB0/2026-12-01.csv"] time';
    await until('the file in Transfers, just now', async () =>
      (await page.textContent(cell).catch(() => null)) === 'just now' ? true : undefined,
    );
    // Two hours on the page's clock, nothing new from the engine: a hub with nothing to send.
    await page.clock.fastForward('02:00:00');
    // Before: "just now" stayed until a file finished or the tab was shown again.
    const shown = await until('the time to age', async () => {
      const text = (await page.textContent(cell)) ?? '';
      return text !== 'just now' && text;
    });
    assert.equal(shown, '2 h ago');
  } finally {
    await w.close();
  }
});
