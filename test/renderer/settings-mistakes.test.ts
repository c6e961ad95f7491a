// Mistakes a technician makes in the Settings tab, as typed into the built renderer in Chromium
// over main's real handler table: each is named next to its field in words that show what was
// typed, and what was typed is still there after the refused save.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { chromiumInstalled, openWindow, text, until } from './window-harness.js';

/** Presses Save and waits for its answer. */
async function save(page: Page): Promise<string> {
  await page.click('#settings-save');
  return until('the save to answer', async () => {
    const status = await text(page, '#settings-status');
    return status !== 'Saving…' && /^(Not saved|Saved)/.test(status) && status;
  });
}

test('Settings: typed mistakes are named with what was typed', async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip('Chromium not installed at /usr/bin/chromium (run scripts/setup.sh)');
    return;
  }
  const w = await openWindow({ intervalSeconds: 3600 });
  const { page } = w;
  try {
    await page.click('#tab-settings');
    await page.waitForSelector('#set-alertEmailTo');

    await t.test('an alert recipient with a comma for a dot is quoted, not hidden', async () => {
      const typed = 'tech@example,com\nboss@example.com';
      await page.fill('#set-alertEmailTo', typed);
      await page.fill('#set-alertEmailFrom', 'rdl@example.com');
      await page.fill('#set-smtpHost', 'smtp.example.com');
      assert.match(await save(page), /^Not saved/);
      const message = await until(
        'the recipient error',
        async () => (await text(page, '#err-alertEmailTo')) || undefined,
      );
      // Before: "(got a text of 16 characters (not shown: it may be a password or token typed
      // into the wrong setting))", and nothing said which of the two addresses was wrong.
      assert.match(message, /must be an email address \(got "tech@example,com"\)/, message);
      assert.doesNotMatch(message, /not shown/);
      assert.doesNotMatch(message, /boss@example\.com/, 'the good address is not blamed');
      assert.equal(await page.inputValue('#set-alertEmailTo'), typed, 'the typing is kept');
      assert.equal(await page.getAttribute('#set-alertEmailTo', 'aria-invalid'), 'true');
      assert.deepEqual(w.engine.getSettings().alertEmailTo, [], 'nothing saved');
      await page.click('#settings-cancel');
    });

    await t.test('words typed into a number box: the message says so, not got ""', async () => {
      await page.click('#set-intervalSeconds', { clickCount: 3 });
      await page.keyboard.type('ten minutes');
      // The box keeps the "e" (a number's exponent) and drops the other letters: it shows text,
      // and gives the form an empty value.
      assert.equal(
        await page.$eval(
          '#set-intervalSeconds',
          (el) => (el as HTMLInputElement).validity.badInput,
        ),
        true,
      );
      const live = await until(
        'the live message',
        async () => (await text(page, '#err-intervalSeconds')) || undefined,
      );
      // Before: 'Interval must be a number (got "")', beside a box that held an "e".
      assert.equal(
        live,
        'Interval must be a number: what is typed there is not one; type digits only, such as 3600 (the saved value)',
      );
      assert.match(await save(page), /^Not saved: fix the field marked in red/);
      assert.equal(
        await text(page, '#err-intervalSeconds'),
        live,
        'the save says the same, not got ""',
      );
      assert.equal(await page.getAttribute('#set-intervalSeconds', 'aria-invalid'), 'true');
      assert.equal(w.engine.getSettings().intervalSeconds, 3600, 'nothing saved');
      await page.click('#set-intervalSeconds', { clickCount: 3 });
      await page.keyboard.type('600');
      await until('the message gone', async () =>
        (await text(page, '#err-intervalSeconds')) === '' ? true : undefined,
      );
      assert.match(await save(page), /^Saved/);
      assert.equal(w.engine.getSettings().intervalSeconds, 600);
    });
  } finally {
    await w.close();
  }
});
