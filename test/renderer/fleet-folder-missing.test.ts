// The Fleet tab over a fleet folder that is not on Dropbox (a typo in Settings, `/RDL/_flet`): it
// said "no hub has written to this folder", which read as every hub being down, while
// `rdl-sync fleet` already said the folder does not exist. Real engine, emulator and Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chromiumInstalled, openWindow } from './window-harness.js';

test('the Fleet tab says a fleet folder that does not exist is missing, and an empty one is empty', async (t) => {
  if (!(await chromiumInstalled())) return t.skip('Chromium not installed at /usr/bin/chromium');
  // No heartbeat of its own, so nothing creates the folder behind the test's back.
  const w = await openWindow({
    intervalSeconds: 3600,
    fleetHeartbeatEnabled: false,
    fleetFolder: '/RDL/_flet',
  });
  const { page } = w;
  try {
    await page.click('#tab-fleet');
    const empty = await page.waitForSelector('#fleet-empty', { timeout: 15_000 });
    const missing = (await empty.innerText()).trim();
    assert.match(missing, /\/RDL\/_flet does not exist on Dropbox/);
    assert.match(missing, /or the path has a typo/);
    assert.equal(await empty.getAttribute('class'), 'bad', 'shown as a problem, not as muted news');
    assert.equal(await page.$('#fleet-table'), null);

    // The folder exists, with no heartbeat in it: only then "no hub has written to this folder".
    w.emulator.putFile('/RDL/_flet/readme.txt', Buffer.from('not a heartbeat'));
    await page.click('#fleet-refresh');
    await page.waitForFunction(
      () => !document.querySelector('#fleet-empty')?.textContent?.includes('does not exist'),
      undefined,
      { timeout: 15_000 },
    );
    assert.equal(
      (await page.innerText('#fleet-empty')).trim(),
      'No heartbeats yet: no hub has written to this folder.',
    );
    assert.equal(await page.getAttribute('#fleet-empty', 'class'), 'muted');
  } finally {
    await w.close();
  }
});
