// The Fleet tab and the Status tab's charts in Chromium, over real engines writing heartbeats
// through the real SDK to the emulator: a fresh site with a problem, a stopped (stale) site,
// a cloned pair, and the window's own hub whose kept history fills the 24-hour charts.
// Screenshots light and dark go to $RDL_SCREENSHOT_DIR (default test-artifacts/screenshots).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import type { HistoryRecord } from '../../src/engine/status/types.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { chromiumInstalled, openWindow, until, type WindowHarness } from './window-harness.js';

const SCREENSHOTS =
  process.env.RDL_SCREENSHOT_DIR ??
  path.join(import.meta.dirname, '..', '..', 'test-artifacts', 'screenshots');
const HOUR = 3_600_000;
const FAST_BEAT = 1_500;

/** Files per hour seeded into the window hub's history, oldest hour first (24 hours). */
const SEEDED_FILES = Array.from({ length: 24 }, (_, i) => (i % 6 === 5 ? 0 : 2 + ((i * 7) % 9)));
const SEEDED_BACKLOG = Array.from({ length: 24 }, (_, i) => (i >= 14 && i <= 17 ? 40 - i : 3));

function seededHistory(nowMs: number): string {
  const thisHour = Math.floor(nowMs / HOUR) * HOUR;
  const lines: string[] = [];
  let id = 0;
  SEEDED_FILES.forEach((n, i) => {
    const hour = thisHour - (23 - i) * HOUR;
    for (let k = 0; k < n; k++) {
      // Within the hour, but never later than now (the current hour is still running).
      const at = Math.min(hour + 60_000 * (k + 1), nowMs - 1_000);
      const rec: HistoryRecord = {
        id: ++id,
        rel: `RDL/USB0/h${i}-${k}.csv`,
        size: 150_000 + 10_000 * k,
        contentHash: null,
        startedAtMs: at - 5_000,
        finishedAtMs: at,
        outcome: 'done',
        upload: { status: 'done', atMs: at, path: '/x', alreadyPresent: false, contentHash: 'h' },
        archive: { status: 'done', atMs: at, path: '/y', alreadyPresent: false, contentHash: 'h' },
      };
      lines.push(JSON.stringify(rec));
    }
  });
  return `${lines.join('\n')}\n`;
}

async function hub(
  w: WindowHarness,
  site: string,
  host: string,
  beatMs: number,
  settings: Record<string, unknown> = {},
): Promise<{ engine: Engine; root: string }> {
  const dirs = await makeDirs('rdl-fleet-win-');
  await writeConfig(
    dirs.configDir,
    testSettings(dirs, w.emulator, { site, intervalSeconds: 3600, ...settings }),
    w.emulator,
  );
  const engine = await createEngine({
    configDir: dirs.configDir,
    home: dirs.root,
    hostName: host,
    fleetHeartbeatMs: beatMs,
  });
  await engine.start();
  return { engine, root: dirs.root };
}

test('the Fleet tab and the Status charts', async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip('Chromium not installed at /usr/bin/chromium (run scripts/setup.sh)');
    return;
  }
  const started = Date.now();
  const w = await openWindow({ site: 'Site1_Montreal', intervalSeconds: 3600 }, undefined, {
    engine: { fleetHeartbeatMs: 60_000, hostName: 'hub-montreal' },
    beforeEngine: async ({ configDir }) => {
      await fs.writeFile(path.join(configDir, 'history.jsonl'), seededHistory(started));
      const thisHour = Math.floor(started / HOUR) * HOUR;
      await fs.writeFile(
        path.join(configDir, 'fleet-backlog.json'),
        JSON.stringify(SEEDED_BACKLOG.map((v, i) => [thisHour - (23 - i) * HOUR, v])),
      );
    },
  });
  const others: { engine: Engine; root: string }[] = [];
  const { page } = w;
  try {
    await fs.mkdir(SCREENSHOTS, { recursive: true });

    await t.test('Status: files, bytes and backlog per hour drawn from the history', async () => {
      await page.click('#tab-status');
      await page.waitForSelector('#chart-files rect.bar');
      const values = await page.$$eval('#chart-files rect.bar', (rs) =>
        rs.map((r) => Number(r.getAttribute('data-value'))),
      );
      assert.deepEqual(values, SEEDED_FILES);
      // Heights follow the values: the tallest bar is the largest count.
      const heights = await page.$$eval('#chart-files rect.bar', (rs) =>
        rs.map((r) => Number(r.getAttribute('height'))),
      );
      const top = SEEDED_FILES.indexOf(Math.max(...SEEDED_FILES));
      assert.equal(heights.indexOf(Math.max(...heights)), top);
      const bytes = await page.$$eval('#chart-bytes rect.bar', (rs) =>
        rs.map((r) => Number(r.getAttribute('data-value'))),
      );
      assert.deepEqual(
        bytes,
        SEEDED_FILES.map((n) =>
          Array.from({ length: n }, (_, k) => 150_000 + 10_000 * k).reduce((a, b) => a + b, 0),
        ),
      );
      const backlog = await page.$$eval('#chart-backlog circle.point', (cs) =>
        cs.map((c) => Number(c.getAttribute('data-value'))),
      );
      assert.deepEqual(backlog.slice(0, 23), SEEDED_BACKLOG.slice(0, 23));
      assert.equal(backlog.length, 24);
      const label = await page.getAttribute('#chart-files svg', 'aria-label');
      const total = SEEDED_FILES.reduce((a, b) => a + b, 0);
      assert.equal(
        label,
        `Files synced per hour: ${total} files in total, at most ${Math.max(...SEEDED_FILES)} files in one slot`,
      );
      for (const scheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme: scheme });
        const file = path.join(SCREENSHOTS, `status-chart-${scheme}.png`);
        await page.locator('#activity').screenshot({ path: file });
        assert.ok((await fs.stat(file)).size > 5_000, `${file} is not empty`);
        await page.screenshot({
          path: path.join(SCREENSHOTS, `status-tab-with-charts-${scheme}.png`),
          fullPage: true,
        });
        // The bars take the theme's accent colour, so they read on both backgrounds.
        const fill = await page.$eval('#chart-files rect.bar', (r) => getComputedStyle(r).fill);
        assert.equal(fill, scheme === 'light' ? 'rgb(37, 99, 235)' : 'rgb(91, 141, 239)');
      }
      await page.emulateMedia({ colorScheme: 'light' });
    });

    await t.test(
      'Fleet: every site, a stale one, a cloned pair, problems and 24-hour charts',
      async () => {
        // South: fresh, with a real problem (its SD card folder is missing).
        others.push(
          await hub(w, 'Site2_South', 'hub-south', 60_000, {
            archiveDir: path.join(w.root, 'no-card'),
          }),
        );
        // North: stops after its first heartbeat, so it turns stale.
        const north = await hub(w, 'Site4_North', 'hub-north', FAST_BEAT);
        others.push(north);
        // Two hubs from one SD image, both still called Site7_Agrotunnel.
        others.push(await hub(w, 'Site7_Agrotunnel', 'clone-a', FAST_BEAT));
        others.push(await hub(w, 'Site7_Agrotunnel', 'clone-b', FAST_BEAT));
        await until(
          'North’s first heartbeat',
          () => w.emulator.getFile('/RDL/_fleet/Site4_North.json'),
          20_000,
        );
        await north.engine.stop();

        await page.click('#tab-fleet');
        const rows = async () =>
          page.$$eval('#fleet-table tbody tr[data-site]', (trs) =>
            trs.map((tr) => ({
              site: tr.getAttribute('data-site'),
              stale: tr.classList.contains('stale'),
              cloned: tr.classList.contains('cloned'),
            })),
          );
        await until(
          'every site shown, North stale, the clone pair flagged',
          async () => {
            await page.click('#fleet-refresh');
            await page.waitForTimeout(300);
            const r = await rows();
            const by = Object.fromEntries(r.map((x) => [x.site, x]));
            return (
              r.length === 4 &&
              by['Site4_North']?.stale === true &&
              by['Site7_Agrotunnel']?.cloned === true &&
              by['Site1_Montreal']?.stale === false &&
              by['Site2_South']?.stale === false
            );
          },
          40_000,
        );
        assert.deepEqual(
          (await rows()).map((r) => r.site),
          ['Site1_Montreal', 'Site2_South', 'Site4_North', 'Site7_Agrotunnel'],
        );
        const north4 = '#fleet-table tr[data-site="Site4_North"]';
        assert.equal((await page.textContent(`${north4} td.state`))?.trim(), 'Stale');
        // Stale shows in red: the theme's "bad" colour.
        const red = await page.$eval(
          `${north4} td.last-seen .rel-time`,
          (e) => getComputedStyle(e).color,
        );
        assert.equal(red, 'rgb(185, 28, 28)');
        assert.match(
          (await page.textContent('#fleet-table tr[data-clone-of="Site7_Agrotunnel"]')) ?? '',
          /Two hubs, one site name\s+clone-[ab] \(since .*\) and clone-[ab] \(since .*\) both write Site7_Agrotunnel’s heartbeat/,
        );
        assert.match(
          (await page.textContent('#fleet-table tr[data-site="Site2_South"] td.problems-cell')) ??
            '',
          /SD card|archive|card/i,
        );
        // The window's own hub: its seeded history in its heartbeat's small chart.
        const spark = await page.$$eval(
          '#fleet-table tr[data-site="Site1_Montreal"] svg rect.bar',
          (rs) => rs.map((r) => Number(r.getAttribute('data-value'))),
        );
        assert.deepEqual(spark, SEEDED_FILES);
        assert.match(
          (await page.textContent('#fleet-own')) ?? '',
          /This hub’s heartbeat: written .* to \/RDL\/_fleet\/Site1_Montreal\.json/,
        );
        for (const scheme of ['light', 'dark'] as const) {
          await page.emulateMedia({ colorScheme: scheme });
          const file = path.join(SCREENSHOTS, `fleet-${scheme}.png`);
          await page.screenshot({ path: file, fullPage: true });
          assert.ok((await fs.stat(file)).size > 5_000, `${file} is not empty`);
        }
        await page.emulateMedia({ colorScheme: 'light' });
      },
    );
  } finally {
    for (const o of others) {
      await o.engine.stop().catch(() => undefined);
      await fs.rm(o.root, { recursive: true, force: true });
    }
    await w.close();
  }
});
