// The first-run setup in the built renderer (Debian's Chromium), over main's real handler table
// and a real engine started on an empty config folder: the welcome, the old syncer found on
// this machine, the folder choice saved through the engine's validation, and a file that then
// really moves. Screenshots of each step, light and dark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { chromiumInstalled, openWindow, text, until } from './window-harness.js';
import { loadSettingsWriter, openSettingsService } from '../../src/engine/index.js';

const ARTEFACTS =
  process.env.RDL_SETUP_SCREENSHOTS ??
  path.join(import.meta.dirname, '..', '..', 'test-artifacts', 'setup');

async function screenshots(page: Page, step: string): Promise<void> {
  fs.mkdirSync(ARTEFACTS, { recursive: true });
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    const file = path.join(ARTEFACTS, `setup-${step}-${scheme}.png`);
    await page.screenshot({ path: file });
    assert.ok(fs.statSync(file).size > 5_000, `${file} is not empty`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

test('first run: the setup shows, finds the old syncer, and the folder choice syncs', async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip('Chromium not installed at /usr/bin/chromium (run scripts/setup.sh)');
    return;
  }
  const w = await openWindow({}, undefined, { unconfigured: true });
  const { page } = w;
  try {
    // An old syncer as on the hubs, in another user's home (/home/pi/SHELF3).
    const shelf = path.join(w.root, 'homes', 'pi', 'SHELF3');
    fs.mkdirSync(path.join(shelf, 'logging-folder', '2_tosync'), { recursive: true });
    fs.writeFileSync(path.join(shelf, 'config.json'), '{"SITE": "Site3_Lakeshore"}');
    fs.mkdirSync(path.join(w.root, 'homes', 'me'), { recursive: true });

    await t.test('the welcome replaces the tabs; the state is not an error', async () => {
      await page.waitForSelector('#setup-choose-import');
      assert.equal(await text(page, '#setup-title'), 'Welcome to RDL Sync');
      assert.equal(await page.isVisible('#tab-status'), false, 'tabs hidden during setup');
      assert.equal(await page.getAttribute('#state-badge', 'data-state'), 'attention');
      assert.match(await text(page, '#state-line'), /^Setup needed/);
      await screenshots(page, 'welcome');
    });

    await t.test('import: the old syncer on this machine is offered', async () => {
      await page.click('#setup-choose-import');
      await page.waitForSelector('#setup-found li');
      assert.equal(await page.getAttribute('#setup-found li', 'data-root'), shelf);
      assert.match(await text(page, '#setup-found li'), /2_tosync/);
      await screenshots(page, 'import');
      await page.click('#setup-back');
    });

    const watch = path.join(w.root, 'picked-watch');
    const archive = path.join(w.root, 'picked-archive');
    fs.mkdirSync(watch);
    fs.mkdirSync(archive);

    await t.test('choose the folders: a mistake is named, the fix is saved', async () => {
      await page.click('#setup-choose-manual');
      await page.waitForSelector('#setup-watch');
      await page.click('#setup-watch-choose'); // the harness's folder dialog answers picked-watch
      await until('the watch folder filled in', async () =>
        (await page.inputValue('#setup-watch')) === watch ? true : undefined,
      );
      await page.check('#setup-archive-local');
      await page.click('#setup-archive-choose');
      await until('the archive folder filled in', async () =>
        (await page.inputValue('#setup-archive')) === archive ? true : undefined,
      );
      await screenshots(page, 'folders');
      // No site name, while the remote folder uses {site}: refused, with the reason.
      await page.click('#setup-save');
      await until('the site error', async () =>
        /Site name is empty/.test(await text(page, '#setup-errors')) ? true : undefined,
      );
      assert.equal(fs.existsSync(w.engine.settingsPath), false, 'nothing saved yet');
      await page.fill('#setup-site', 'Setup_Lake');
      await page.click('#setup-save');
      await page.waitForSelector('#setup-summary');
      assert.match(await text(page, '#setup-summary'), /Site: Setup_Lake/);
      await screenshots(page, 'done');
      const saved = JSON.parse(fs.readFileSync(w.engine.settingsPath, 'utf8')) as Record<
        string,
        unknown
      >;
      assert.equal(saved.watchDir, watch);
      assert.equal(saved.archiveDir, archive);
      assert.equal(saved.archiveMustBeMountPoint, false);
      assert.equal(saved.site, 'Setup_Lake');
      assert.equal(
        w.engine.getStatus().problems.some((p) => p.code === 'setup-needed'),
        false,
      );
    });

    await t.test(
      'Connect Dropbox leads to the Settings tab; a file reaches the archive',
      async () => {
        await page.click('#setup-connect');
        await until('the settings tab', async () =>
          (await page.getAttribute('#tab-settings', 'aria-selected')) === 'true' ? true : undefined,
        );
        assert.equal(await page.isVisible('#setup'), false);
        // A logger's finished file (written an hour ago, so it is stable at once).
        const file = path.join(watch, 'RDL', 'USB0', 'first.csv');
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, 'timestamp,t\n2026-12-01T08:00:00Z,3.9\n');
        const hourAgo = new Date(Date.now() - 3_600_000);
        fs.utimesSync(file, hourAgo, hourAgo);
        w.engine.syncNow();
        await until(
          'first.csv in the archive',
          () => fs.existsSync(path.join(archive, 'RDL', 'USB0', 'first.csv')),
          60_000,
        );
      },
    );
  } finally {
    await w.close();
  }
});

/**
 * A first run through "Choose the folders": the watch folder picked, `archive` chooses the
 * archive, then the site and Save. What the done page's summary and whole text say.
 */
async function manualSetupSaved(
  w: Awaited<ReturnType<typeof openWindow>>,
  archive: (page: Page) => Promise<void>,
): Promise<{ summary: string; next: string }> {
  const { page } = w;
  const watch = path.join(w.root, 'picked-watch');
  fs.mkdirSync(watch);
  await page.waitForSelector('#setup-choose-manual');
  await page.click('#setup-choose-manual');
  await page.waitForSelector('#setup-watch');
  await page.click('#setup-watch-choose');
  await until('the watch folder filled in', async () =>
    (await page.inputValue('#setup-watch')) === watch ? true : undefined,
  );
  await archive(page);
  await page.fill('#setup-site', 'Lab_Desk');
  await page.click('#setup-save');
  await page.waitForSelector('#setup-summary');
  return { summary: await text(page, '#setup-summary'), next: await text(page, '#setup') };
}

test('first run with no archive: the setup does not promise an archive copy', async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip('Chromium not installed at /usr/bin/chromium (run scripts/setup.sh)');
    return;
  }
  const w = await openWindow({}, undefined, { unconfigured: true });
  try {
    const { summary, next } = await manualSetupSaved(w, (page) =>
      page.check('#setup-archive-none'),
    );
    assert.match(summary, /Archive: none/);
    // Before: "until then files go to the archive" with no archive at all.
    assert.match(next, /until then files wait in transit for Dropbox/);
    assert.doesNotMatch(next, /go to the archive/);
  } finally {
    await w.close();
  }
});

test('first run with an SD card archive: the setup says files go to the card whenever it is mounted, not that they go to the archive', async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip('Chromium not installed at /usr/bin/chromium (run scripts/setup.sh)');
    return;
  }
  const w = await openWindow({}, undefined, { unconfigured: true });
  try {
    const { summary, next } = await manualSetupSaved(w, async (page) => {
      await page.check('#setup-archive-card');
      // The card is not in its reader yet: its mount point does not even exist.
      await page.fill('#setup-archive', path.join(w.root, 'media', 'CARD'));
    });
    assert.match(summary, /\(SD card, only while mounted\)/);
    // Before: "until then files go to the archive", beside the notification that it is missing.
    assert.match(next, /files go to the SD card whenever it is mounted, and wait in transit/);
    assert.doesNotMatch(next, /go to the archive/);
  } finally {
    await w.close();
  }
});

test('an import naming an archive card that is not mounted: the setup says files wait in transit, not that they go to the archive', async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip('Chromium not installed at /usr/bin/chromium (run scripts/setup.sh)');
    return;
  }
  const w = await openWindow({}, undefined, { unconfigured: true });
  const { page } = w;
  try {
    // An Orange Pi's old syncer: its archive is the card SD1, which nothing mounts here.
    const shelf = path.join(w.root, 'homes', 'orangepi', 'SHELF3');
    fs.mkdirSync(path.join(shelf, 'logging-folder', '2_tosync'), { recursive: true });
    fs.writeFileSync(
      path.join(shelf, 'config.json'),
      '{"SITE": "Site0_Montreal", "SD_CARD_NAME": "SD1"}',
    );
    await page.waitForSelector('#setup-choose-import');
    await page.click('#setup-choose-import');
    await page.waitForSelector('#setup-found li .setup-import-found');
    await page.click('#setup-found li .setup-import-found');
    await page.waitForSelector('#setup-summary');
    const next = await text(page, '#setup');
    assert.match(next, /No card is mounted at \/media\/orangepi\/SD1 now/);
    // Before: "until then files go to the archive and wait in transit" beside that warning.
    assert.match(next, /until then files wait in transit for Dropbox/);
    assert.doesNotMatch(next, /go to the archive/);
  } finally {
    await w.close();
  }
});

test('the setup summary follows a change saved elsewhere while it shows (rdl-sync settings set)', async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip('Chromium not installed at /usr/bin/chromium (run scripts/setup.sh)');
    return;
  }
  // As main opens it: the settings file watched, so another process's save is applied.
  const w = await openWindow({}, undefined, { unconfigured: true, engine: { watchConfig: true } });
  try {
    const { summary } = await manualSetupSaved(w, (page) => page.check('#setup-archive-none'));
    assert.match(summary, /Site: Lab_Desk/);
    // What `rdl-sync settings set site Lab_Desk_2 archiveEnabled true archiveDir …` writes.
    const card = path.join(w.root, 'media', 'CARD');
    await loadSettingsWriter();
    const elsewhere = openSettingsService({ configDir: w.configDir, home: w.root });
    try {
      const now = elsewhere.load();
      assert.ok(now.ok);
      const saved = await elsewhere.saveEdited({
        ...now.settings,
        site: 'Lab_Desk_2',
        archiveEnabled: true,
        archiveDir: card,
        archiveMustBeMountPoint: true,
      });
      assert.ok(saved.ok, JSON.stringify(saved));
    } finally {
      elsewhere.close();
    }
    // Before: "Site: Lab_Desk", "Archive: none" and "files wait in transit" until the page closed.
    await until('the summary says the settings as they are', async () =>
      /Site: Lab_Desk_2/.test(await text(w.page, '#setup-summary')) ? true : undefined,
    );
    assert.match(
      await text(w.page, '#setup-summary'),
      /Archive: .*CARD \(SD card, only while mounted\)/,
    );
    assert.match(await text(w.page, '#setup'), /files go to the SD card whenever it is mounted/);
  } finally {
    await w.close();
  }
});
