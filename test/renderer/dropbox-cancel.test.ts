// "Reconnect…" pressed by mistake on a connected window: the code form that opens can be put
// away again, with its Cancel button or with Escape, and the connection is untouched.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { chromiumInstalled, openWindow, until } from './window-harness.js';

async function openCodeForm(page: Page): Promise<void> {
  await page.click('#dropbox-connect');
  await page.waitForSelector('#dropbox-code');
  await until('the code box focused', async () =>
    (await page.evaluate(() => document.activeElement?.id)) === 'dropbox-code' ? true : undefined,
  );
}

test('the Dropbox code form can be left with Cancel or Escape', async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip('Chromium not installed at /usr/bin/chromium (run scripts/setup.sh)');
    return;
  }
  const w = await openWindow({ intervalSeconds: 3600 });
  const { page } = w;
  try {
    await page.click('#tab-settings');
    await until('connected in the window', async () =>
      /^Connected as /.test((await page.textContent('#dropbox-state')) ?? '') ? true : undefined,
    );
    assert.equal(await page.textContent('#dropbox-connect'), 'Reconnect…');

    // Before: no Cancel, Escape did nothing; the form stayed until the window was closed.
    await openCodeForm(page);
    await page.keyboard.press('Escape');
    await until('the form gone after Escape', async () =>
      (await page.$('#dropbox-code')) === null ? true : undefined,
    );
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'dropbox-connect');

    await openCodeForm(page);
    // From the keyboard: past Finish to Cancel.
    await page.keyboard.press('Tab');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'dropbox-cancel');
    await page.keyboard.press('Enter');
    await until('the form gone after Cancel', async () =>
      (await page.$('#dropbox-code')) === null ? true : undefined,
    );
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'dropbox-connect');

    assert.equal(w.engine.getStatus().dropbox.connected, true, 'still connected');
    assert.match((await page.textContent('#dropbox-state')) ?? '', /^Connected as /);
  } finally {
    await w.close();
  }
});
