// The Settings tab over a change saved elsewhere (`rdl-sync settings set`) while the window is
// open: the form shows the settings the engine runs on, and keeps what the person typed here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { chromiumInstalled, openWindow, until } from './window-harness.js';
import { loadSettingsWriter, openSettingsService } from '../../src/engine/index.js';
import type { Settings } from '../../src/engine/settings/schema.js';

async function value(page: Page, selector: string): Promise<string> {
  return page.inputValue(selector);
}

/** What `rdl-sync settings set …` does: another process saves over the file. */
async function saveElsewhere(configDir: string, home: string, change: Partial<Settings>) {
  await loadSettingsWriter();
  const elsewhere = openSettingsService({ configDir, home });
  try {
    const now = elsewhere.load();
    assert.ok(now.ok);
    const saved = await elsewhere.saveEdited({ ...now.settings, ...change });
    assert.ok(saved.ok, JSON.stringify(saved));
  } finally {
    elsewhere.close();
  }
}

test('a change saved elsewhere reaches the Settings form; a field typed here is kept', async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip('Chromium not installed at /usr/bin/chromium (run scripts/setup.sh)');
    return;
  }
  // As main opens it: the settings file watched, so another process's save is applied.
  const w = await openWindow({ intervalSeconds: 3600 }, undefined, {
    engine: { watchConfig: true },
  });
  const { page } = w;
  try {
    await page.click('#tab-settings');
    await page.waitForSelector('#set-site');
    assert.equal(await value(page, '#set-intervalSeconds'), '3600');

    await t.test('changed while another tab shows: the form has it once shown', async () => {
      await page.click('#tab-status');
      await saveElsewhere(w.configDir, w.root, { intervalSeconds: 600, site: 'Lab_Desk_2' });
      await until('the engine on the new settings', () =>
        w.engine.getSettings().intervalSeconds === 600 ? true : undefined,
      );
      await page.click('#tab-settings');
      // Before: 3600 and site1 stayed in the form, beside an engine passing every 600 s.
      await until('the form shows the new interval', async () =>
        (await value(page, '#set-intervalSeconds')) === '600' ? true : undefined,
      );
      assert.equal(await value(page, '#set-site'), 'Lab_Desk_2');
      await until('the preview follows the new site', async () =>
        (await page.textContent('#remote-preview'))?.includes('/RDL/Lab_Desk_2/')
          ? true
          : undefined,
      );
    });

    await t.test('changed while the form shows, with a field edited here', async () => {
      await page.fill('#set-stableSeconds', '75');
      await saveElsewhere(w.configDir, w.root, { intervalSeconds: 900 });
      await until('the form shows the interval saved elsewhere', async () =>
        (await value(page, '#set-intervalSeconds')) === '900' ? true : undefined,
      );
      assert.equal(await value(page, '#set-stableSeconds'), '75', 'the edit typed here is kept');
      assert.match((await page.textContent('#settings-status')) ?? '', /not saved yet/);
      await page.click('#settings-save');
      await until('saved', async () =>
        /^Saved/.test((await page.textContent('#settings-status')) ?? '') ? true : undefined,
      );
      const now = w.engine.getSettings();
      assert.equal(now.stableSeconds, 75);
      assert.equal(now.intervalSeconds, 900, 'the save kept the change made elsewhere');
    });
  } finally {
    await w.close();
  }
});
