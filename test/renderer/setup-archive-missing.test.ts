// First run, "Choose the folders", with a typo in the archive folder on this computer: the done
// page says what the engine says (the folder does not exist, and the fix), not that files go to
// the archive meanwhile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { chromiumInstalled, openWindow, text, until } from './window-harness.js';

test('setup: an archive folder that is not there is named on the done page', async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip('Chromium not installed at /usr/bin/chromium (run scripts/setup.sh)');
    return;
  }
  const w = await openWindow({}, undefined, { unconfigured: true });
  const { page } = w;
  try {
    await fs.mkdir(path.join(w.root, 'homes', 'me'), { recursive: true });
    const watch = path.join(w.root, 'logger');
    await fs.mkdir(watch);
    await fs.mkdir(path.join(w.root, 'archive'));
    const typo = path.join(w.root, 'archvie');
    await page.click('#setup-choose-manual');
    await page.waitForSelector('#setup-watch');
    await page.fill('#setup-watch', watch);
    await page.check('#setup-archive-local');
    await page.fill('#setup-archive', typo);
    await page.fill('#setup-site', 'Lab_Desk');
    await page.click('#setup-save');
    await page.waitForSelector('#setup-summary');
    const problem = await until('the engine’s archive problem', () =>
      w.engine.getStatus().problems.find((p) => p.code === 'archive-missing'),
    );
    assert.match(problem.message, /archvie does not exist/);
    // Before: "until then files go to the archive and wait in transit for Dropbox", and the
    // missing folder was only a "(+1 more problem)" in the bar.
    await until('the problem on the done page', async () => {
      const shown = await page.$('#setup-archive-problem');
      return shown !== null && (await shown.textContent()) === problem.message;
    });
    const page1 = await text(page, '#setup');
    assert.doesNotMatch(page1, /files go to the archive/);
    assert.match(page1, /until then files wait in transit for Dropbox/);
    assert.match(page1, /Archive: .*archvie/);
  } finally {
    await w.close();
  }
});
