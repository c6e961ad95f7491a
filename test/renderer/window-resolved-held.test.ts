// A "Resolved" the alerts' repeat guard holds (a card that came and went) is shown in the window's
// status view, in the words `rdl-sync status` prints. Before, only the CLI said it: the window
// read healthy with no sign that a "Resolved" was still to come, nor when. In Chromium over a
// real engine (its alert service running), the archive folder taken away and put back, on the
// engine's clock moved by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { absoluteTime } from '../../src/renderer/format.js';
import { heldResolvedSentence } from '../../src/shared/format.js';
import { systemClock, type Clock } from '../../src/engine/ports.js';
import { chromiumInstalled, openWindow, until } from './window-harness.js';

const MIN = 60_000;

test('a card that came and went: the window shows its held "Resolved" and when it is due, as the CLI says it, and no more once sent', async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip('Chromium not installed at /usr/bin/chromium (run scripts/setup.sh)');
    return;
  }
  let now = Date.now() - 2 * 60 * MIN;
  const clock: Clock = { now: () => now, sleep: systemClock.sleep };
  const w = await openWindow({ intervalSeconds: 3600, alertFlapMinutes: 30 }, clock);
  const { page } = w;
  const away = `${w.archiveDir}.away`;
  let n = 0;
  /** A file arrives and a pass runs with the archive folder there or not. */
  const passWith = async (archive: boolean): Promise<void> => {
    const rel = `RDL/USB0/f${n++}.csv`;
    await fs.mkdir(path.join(w.watchDir, 'RDL', 'USB0'), { recursive: true });
    await fs.writeFile(path.join(w.watchDir, ...rel.split('/')), `${rel}\n`);
    if (!archive) await fs.rename(w.archiveDir, away);
    else await fs.rename(away, w.archiveDir).catch(() => undefined);
    await w.engine.runPassNow();
  };
  const hasMissing = (): boolean =>
    w.engine.getStatus().problems.some((p) => p.id === 'archive-missing');
  try {
    await until('the first pass over', () => w.engine.getStatus().lastPassMs !== null);
    await page.click('#tab-status');
    await passWith(false);
    assert.ok(hasMissing(), 'the folder away is a problem');
    now += MIN;
    await passWith(true);
    assert.ok(!hasMissing());
    // Away again 5 min later (inside the repeat guard): told at once; back, its "Resolved" held.
    now += 5 * MIN;
    await passWith(false);
    assert.ok(hasMissing());
    now += MIN;
    await passWith(true);
    await until('a held "Resolved" in the status', () =>
      Boolean(w.engine.getStatus().resolvedHeld?.length),
    );
    const [held] = w.engine.getStatus().resolvedHeld!;
    assert.equal(held!.conditionId, 'archive-missing');
    const item = '#resolved-held li[data-condition="archive-missing"]';
    await page.waitForSelector(item, { timeout: 10_000 });
    const shown = (await page.textContent(item))?.trim();
    assert.equal(shown, heldResolvedSentence(held!, absoluteTime));
    assert.match(
      shown!,
      /^Alert "Resolved: the archive out of reach" \(gone since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d\) is held by the repeat guard: sent at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d if it stays away \(alertFlapMinutes\)$/,
    );
    // Stayed away the guard's time: the "Resolved" goes, and the window no longer shows it held.
    now += 31 * MIN;
    await passWith(true);
    await until(
      'the held "Resolved" gone from the window',
      async () => (await page.$('#resolved-held')) === null,
    );
    assert.equal(w.engine.getStatus().resolvedHeld, undefined);
  } finally {
    await fs.rename(away, w.archiveDir).catch(() => undefined);
    await w.close();
  }
});
