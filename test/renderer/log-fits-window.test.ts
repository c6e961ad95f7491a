// The Log tab in a narrow window (420 px, the bar's buttons wrapped onto two rows): the list of
// lines ends inside the window, and with "Follow new lines" on the newest line is in sight, also
// once the window is made shorter.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { chromiumInstalled, openWindow, until } from './window-harness.js';

interface Box {
  top: number;
  bottom: number;
}

/** Where the list and its last line are, and the window's height. */
async function boxes(page: Page): Promise<{ list: Box; last: Box | null; window: number }> {
  // One expression, no helper inside: tsx names functions with a helper the page lacks.
  return page.evaluate(() => {
    const list = document.getElementById('log-lines')!;
    const l = list.getBoundingClientRect();
    const r = list.lastElementChild?.getBoundingClientRect();
    return {
      list: { top: l.top, bottom: l.bottom },
      last: r ? { top: r.top, bottom: r.bottom } : null,
      window: innerHeight,
    };
  });
}

/** The last line's text when the whole of it is seen: inside the list and inside the window. */
async function lastLineInSight(page: Page): Promise<string | undefined> {
  const b = await boxes(page);
  if (!b.last) return undefined;
  const inList = b.last.top >= b.list.top && b.last.bottom <= b.list.bottom + 0.5;
  const inWindow = b.last.bottom <= b.window + 0.5;
  if (!inList || !inWindow) return undefined;
  return (await page.textContent('#log-lines > li:last-child')) ?? undefined;
}

test('a narrow window: the log ends inside it and its newest line is in sight', async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip('Chromium not installed at /usr/bin/chromium (run scripts/setup.sh)');
    return;
  }
  const w = await openWindow({ intervalSeconds: 3600 });
  const { page } = w;
  try {
    await page.setViewportSize({ width: 420, height: 760 });
    for (let i = 0; i < 400; i++) w.logger.info(`trial line ${i}`);
    w.logger.info('trial line newest');
    await page.click('#tab-log');
    await until('the newest line in the list', async () =>
      (await page.textContent('#log-lines'))?.includes('trial line newest') ? true : undefined,
    );
    const b = await boxes(page);
    // Before: a height of the window less 230 px, while the bar and tabs took 300 here: the list
    // ended 70 px below the window, and the newest lines with it.
    assert.ok(
      b.list.bottom <= b.window,
      `the list ends at ${b.list.bottom}, the window at ${b.window}`,
    );
    assert.ok(b.list.bottom - b.list.top >= 200, 'the list keeps a usable height');
    await until('the newest line in sight', async () =>
      /trial line newest/.test((await lastLineInSight(page)) ?? '') ? true : undefined,
    );

    // The window made shorter: the list with it, and Follow keeps the end in sight. Measured
    // two frames on (a resize is laid out and observed within one), before any new line could
    // arrive and scroll the list down by itself.
    await page.setViewportSize({ width: 420, height: 600 });
    await page.evaluate(
      () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))),
    );
    const shorter = await boxes(page);
    assert.ok(shorter.list.bottom <= shorter.window);
    assert.ok(
      (await lastLineInSight(page)) !== undefined,
      `the last line (${JSON.stringify(shorter.last)}) is below the list's end (${shorter.list.bottom})`,
    );
  } finally {
    await w.close();
  }
});
