// "Try the demo" (issue 11, defect 5) in the built renderer (Debian's Chromium), over main's real
// handler table and the real demo mode (src/main/demo-mode.ts): from the first-run welcome, one
// click runs a real engine against the bundled emulator with the sample files; the Transfers tab
// shows them Done/Done under the demo banner; leaving returns to the setup and removes the demo's
// folder, and nothing else in the config folder. Screenshots of the banner, light and dark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumInstalled, openWindow, text, until } from './window-harness.js';

const ARTEFACTS =
  process.env.RDL_DEMO_SCREENSHOTS ??
  path.join(import.meta.dirname, '..', '..', 'test-artifacts', 'demo');
/** tools/demo/sample-files.ts as the demo plans them: 8 small files and one large one. */
const SAMPLE_FILES = 9;

async function screenshots(page: Page, step: string): Promise<void> {
  fs.mkdirSync(ARTEFACTS, { recursive: true });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const file = path.join(ARTEFACTS, `demo-${step}-${scheme}.png`);
    await page.screenshot({ path: file });
    assert.ok(fs.statSync(file).size > 5_000, `${file} is not empty`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)));
}

test('Try the demo: sample files go Done/Done under the banner; leaving removes it all', async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip('Chromium not installed at /usr/bin/chromium (run scripts/setup.sh)');
    return;
  }
  const w = await openWindow({}, undefined, { unconfigured: true, demo: true });
  const { page } = w;
  const demoDir = path.join(w.configDir, 'demo');
  // Something of the user's beside the demo: it must survive leaving.
  const keep = path.join(w.configDir, 'keep-me.txt');
  fs.writeFileSync(keep, 'not the demo’s');
  try {
    await t.test('the welcome offers the demo; one click starts it', async () => {
      await page.waitForSelector('#setup-choose-demo');
      assert.match(await text(page, '#setup-choose-demo'), /Try the demo/);
      assert.equal(await page.isVisible('#demo-banner'), false, 'no banner before the demo');
      await page.click('#setup-choose-demo');
      await page.waitForSelector('#demo-banner:not([hidden])');
      assert.match(
        await text(page, '#demo-banner-text'),
        /^Demo: files go to a local Dropbox emulator, not your Dropbox$/,
      );
      assert.equal(await page.isVisible('#setup-choose-demo'), false, 'the setup is gone');
      assert.equal(fs.existsSync(path.join(demoDir, 'config', 'config.json')), true);
      assert.equal(fs.existsSync(w.engine.settingsPath), true, 'the demo engine is active');
      assert.equal(w.engine.getSettings().dropboxEndpoint.startsWith('http://127.0.0.1:'), true);
      assert.equal(fs.existsSync(path.join(w.configDir, 'config.json')), false, 'real untouched');
    });

    await t.test('Transfers: every sample file Done on Dropbox and on the SD card', async () => {
      await until('the Transfers tab', async () =>
        (await page.getAttribute('#tab-transfers', 'aria-selected')) === 'true' ? true : undefined,
      );
      await until(
        `${SAMPLE_FILES} rows Done/Done`,
        async () => {
          const rows = await page.$$eval('#panel-transfers tbody tr', (trs) =>
            trs.map((tr) => [
              tr.getAttribute('data-rel') ?? '',
              tr.querySelector('td.leg-upload')?.textContent ?? '',
              tr.querySelector('td.leg-archive')?.textContent ?? '',
              tr.querySelector('td.leg-upload')?.getAttribute('title') ?? '',
            ]),
          );
          const done = rows.filter(([, up, ar]) => up === 'Done' && ar === 'Done');
          return done.length === SAMPLE_FILES ? done : undefined;
        },
        90_000,
      ).then((done) => {
        const rels = done.map(([rel]) => rel ?? '');
        assert.ok(rels.includes('RDL/USB0/highrate-burst-0001.bin'), rels.join(', '));
        assert.ok(rels.some((r) => /^cameras\/cam\d\/snapshot-\d{4}\.jpg$/.test(r)));
        for (const [, , , remote] of done) {
          assert.match(remote ?? '', /^\/Professional\/WIRED\/DemoLake\//);
        }
      });
      assert.equal(filesUnder(path.join(demoDir, 'archive')).length, SAMPLE_FILES);
      assert.match(await text(page, '#demo-banner'), /Leave the demo/);
      await screenshots(page, 'banner');
    });

    await t.test(
      'Settings in the demo: a folder of the person’s is refused, the schedule can be tried',
      async () => {
        await page.click('#tab-settings');
        await page.waitForSelector('#set-watchDir');
        const theirs = path.join(w.root, 'their-logger');
        await page.fill('#set-watchDir', theirs);
        await page.click('#settings-save');
        await until('refused', async () => /^Not saved/.test(await text(page, '#settings-status')));
        await until('the field error', async () => (await text(page, '#err-watchDir')) !== '');
        assert.match(
          await text(page, '#err-watchDir'),
          /^Fixed in the demo, .*leave the demo to set yours/,
        );
        await page.click('#settings-cancel');
        await page.fill('#set-intervalSeconds', '45');
        await page.click('#settings-save');
        await until('saved', async () => /^Saved/.test(await text(page, '#settings-status')));
        assert.equal(w.engine.getSettings().intervalSeconds, 45, 'the demo engine took it');
      },
    );

    await t.test('leaving: the setup again, the demo folder gone, nothing else', async () => {
      await page.click('#demo-leave');
      await page.waitForSelector('#setup-choose-demo');
      assert.equal(await text(page, '#setup-title'), 'Welcome to RDL Sync');
      // The banner goes once main has answered, i.e. after the demo folder was removed.
      await page.waitForSelector('#demo-banner', { state: 'hidden' });
      assert.equal(fs.existsSync(demoDir), false, 'the demo folder is removed');
      assert.equal(fs.existsSync(path.join(w.configDir, 'config.json')), false, 'no config left');
      assert.equal(fs.readFileSync(keep, 'utf8'), 'not the demo’s');
      assert.equal(
        w.engine.getStatus().problems.some((p) => p.code === 'setup-needed'),
        true,
        'the real engine, still unconfigured, is active again',
      );
    });
  } finally {
    await w.close();
  }
});
