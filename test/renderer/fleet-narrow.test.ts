// The Fleet tab in a narrow window (420 px): its table scrolls inside its own box, which the
// keyboard can reach, and the page itself does not scroll sideways; a Refresh keeps the focus
// and the scroll where they were.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromiumInstalled, openWindow, until } from './window-harness.js';

test('a narrow window: the fleet table scrolls in its box, not the whole page', async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip('Chromium not installed at /usr/bin/chromium (run scripts/setup.sh)');
    return;
  }
  const w = await openWindow({ intervalSeconds: 3600 }, undefined, {
    engine: { fleetHeartbeatMs: 1_000 },
  });
  const { page } = w;
  try {
    await page.setViewportSize({ width: 420, height: 760 });
    await page.click('#tab-fleet');
    // This hub's own heartbeat is its row: read again until it has been written.
    await until(
      'this hub’s row in the fleet table',
      async () => {
        if (await page.$('#fleet-table tbody tr')) return true;
        await page.click('#fleet-refresh');
        return undefined;
      },
      30_000,
    );
    const sizes = await page.evaluate(() => ({
      page: document.documentElement.scrollWidth,
      window: innerWidth,
      table: document.getElementById('fleet-table')!.scrollWidth,
    }));
    assert.ok(
      sizes.table > sizes.window - 28,
      `the table needs ${sizes.table} px: a test of width`,
    );
    // Before: the page was 668 px wide, the bar and the tabs ending at 420 px beside the table.
    assert.ok(
      sizes.page <= sizes.window,
      `the page is ${sizes.page} px wide in a ${sizes.window} px window`,
    );
    // The part out of sight is reached from the keyboard: the scroller takes the focus.
    await page.focus('#fleet-scroll');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'fleet-scroll');
    await page.keyboard.press('ArrowRight');
    await until('the table scrolled from the keyboard', async () =>
      (await page.$eval('#fleet-scroll', (el) => el.scrollLeft)) > 0 ? true : undefined,
    );

    // Refresh pressed from the keyboard, the table scrolled: both are as they were once the
    // panel is drawn again. Before, the focus fell to the page (the next Tab began at the top)
    // and the table was back at its start.
    // The arrow key's scroll is animated: set a place of our own and wait until it holds.
    const scrolledTo = 40;
    await until('the table held at 40 px', async () => {
      const at = await page.$eval('#fleet-scroll', (el) => el.scrollLeft);
      if (at === scrolledTo) return true;
      await page.$eval('#fleet-scroll', (el, x) => (el.scrollLeft = x), scrolledTo);
      return undefined;
    });
    await page.$eval('#fleet-table', (el) => el.setAttribute('data-drawn', 'before'));
    await page.focus('#fleet-refresh');
    await page.keyboard.press('Enter');
    await until('the panel drawn again', async () =>
      (await page.$('#fleet-table[data-drawn]')) === null ? true : undefined,
    );
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'fleet-refresh');
    assert.equal(await page.$eval('#fleet-scroll', (el) => el.scrollLeft), scrolledTo);
  } finally {
    await w.close();
  }
});
