// The status window as a lab person reads it over months, in Chromium over a real engine: a
// small window at 200 % zoom, figures that must follow what the engine is doing, and controls
// that must say they are working.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  chromiumInstalled,
  openWindow,
  text,
  until,
  type WindowHarness,
} from './window-harness.js';

/** Skips the test (saying why) on a machine without Debian's Chromium. */
async function noChromium(t: TestContext): Promise<boolean> {
  if (await chromiumInstalled()) return false;
  t.skip(
    'Chromium not installed at /usr/bin/chromium (run scripts/setup.sh); window tests skipped',
  );
  return true;
}

const run = promisify(execFile);

async function drop(w: WindowHarness, rel: string, content: string | Buffer): Promise<void> {
  const p = path.join(w.watchDir, ...rel.split('/'));
  await fs.mkdir(path.dirname(p), { recursive: true });
  await fs.writeFile(p, content);
}

test('at 200 % zoom in the smallest window every tab is in sight and nothing scrolls sideways', async (t) => {
  if (await noChromium(t)) return;
  const w = await openWindow({ intervalSeconds: 3600 });
  const { page } = w;
  try {
    await until('the first pass over', () => w.engine.getStatus().lastPassMs !== null);
    await drop(w, 'cameras/reolink1/2026-11-20/2026-11-20_13_45.jpg', 'jpeg');
    await w.engine.runPassNow();
    assert.equal(w.engine.getStatus().counts.doneThisRun, 1);
    // The window's minimum size is 640 × 480 (main/window.ts); at 200 % zoom the page has half.
    await page.setViewportSize({ width: 320, height: 240 });
    for (const tab of ['status', 'transfers', 'settings', 'log'] as const) {
      await page.click(`#tab-${tab}`);
      if (tab === 'status') await page.waitForSelector('#chart-backlog');
      if (tab === 'transfers') await page.waitForSelector('#history-rows tr');
      const seen = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        width: document.documentElement.clientWidth,
        // Tabs past the right edge: before, Settings and Log were off the edge on every tab.
        tabsOff: [...document.querySelectorAll('[role=tab]')]
          .filter((b) => b.getBoundingClientRect().right > document.documentElement.clientWidth)
          .map((b) => b.id),
      }));
      assert.deepEqual(seen.tabsOff, [], `${tab}: tabs out of sight`);
      assert.ok(
        seen.page <= seen.width,
        `${tab}: the page is ${seen.page} px wide in ${seen.width}`,
      );
    }
  } finally {
    await w.close();
  }
});

test('Send test alert says it is sending and takes no second click until the answer', async (t) => {
  if (await noChromium(t)) return;
  const w = await openWindow({ intervalSeconds: 3600 });
  const { page } = w;
  try {
    await page.click('#tab-settings');
    await page.waitForSelector('#send-test-alert');
    // Main's answer held back, as while an email waits for an unreachable SMTP server (10 s
    // and more on a hub): before, the button stayed as it was and nothing on screen changed.
    const slow = w.holdNextReply('sendTestAlert');
    await page.click('#send-test-alert');
    await slow.answered;
    assert.equal(
      await text(page, '#alert-test-result'),
      'Sending a test alert through each channel…',
    );
    assert.equal(await page.isDisabled('#send-test-alert'), true);
    slow.release();
    await until('the answer shown', async () =>
      /^No alert channel is set up/.test(await text(page, '#alert-test-result')),
    );
    assert.equal(await page.isDisabled('#send-test-alert'), false);
  } finally {
    await w.close();
  }
});

test('the backlog chart follows the queue while Dropbox is down and no file finishes', async (t) => {
  if (await noChromium(t)) return;
  const w = await openWindow({ intervalSeconds: 3600 });
  const { page } = w;
  try {
    await until('the first pass over', () => w.engine.getStatus().lastPassMs !== null);
    await page.waitForSelector('#chart-backlog svg');
    w.emulator.addFault({ kind: 'server_error', times: 100_000, noRetryAfter: true });
    for (let i = 0; i < 3; i++) await drop(w, `RDL/USB0/2026-11-2${i}.csv`, 'a,b\n1,2\n');
    for (let i = 0; i < 4 && w.engine.getStatus().counts.transit < 3; i++)
      await w.engine.runPassNow();
    assert.equal(w.engine.getStatus().counts.transit, 3, 'three files wait for Dropbox');
    await until('the state line', async () =>
      /3 files waiting/.test(await text(page, '#state-line')),
    );
    // Before: re-read only when a file finished, or after a minute; the chart said "No queue
    // measured yet" beside "3 files waiting safely". Well under that minute here.
    const label = await until(
      'the backlog chart to show the queue',
      async () => {
        const l = (await page.getAttribute('#chart-backlog svg', 'aria-label')) ?? '';
        return /now 3 files/.test(l) && l;
      },
      15_000,
    );
    assert.match(label, /^Files waiting \(highest each hour\): now 3 files/);
  } finally {
    w.emulator.clearFaults();
    await w.close();
  }
});

test('a full archive disk is not shown as fine beside the problem that says it is full', async (t) => {
  if (await noChromium(t)) return;
  const w = await openWindow({ intervalSeconds: 3600 });
  const { page } = w;
  try {
    await until('the first pass over', () => w.engine.getStatus().lastPassMs !== null);
    // A real small disk: a 1 MB tmpfs over the archive folder, filled to the last few kB.
    await run('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'rdl-test', w.archiveDir]);
    try {
      await fs.writeFile(path.join(w.archiveDir, 'filler.bin'), Buffer.alloc(1_000_000, 1));
      await drop(w, 'RDL/USB0/2026-11-24.csv', Buffer.alloc(50_000, 65));
      for (
        let i = 0;
        i < 4 && !w.engine.getStatus().problems.some((p) => p.code === 'archive-full');
        i++
      )
        await w.engine.runPassNow();
      assert.ok(w.engine.getStatus().problems.some((p) => p.code === 'archive-full'));
      await page.click('#tab-status');
      const card = '#card-archive + dl';
      await page.waitForSelector('#problems [data-problem="archive-full"]', { timeout: 10_000 });
      // Before: "Present and writable", in green, under the problem "Archive folder … is full".
      assert.match(await text(page, card), /StatePresent but full: files wait in transit/);
      assert.equal(
        await page.$$eval(
          `${card} dd`,
          (dds) => dds.find((d) => d.textContent?.startsWith('Present'))?.className,
        ),
        'bad',
      );
    } finally {
      await run('umount', [w.archiveDir]);
    }
  } finally {
    await w.close();
  }
});

test('paused for an hour, the Status tab says when it resumes in plain words', async (t) => {
  if (await noChromium(t)) return;
  const w = await openWindow({ intervalSeconds: 3600 });
  const { page } = w;
  try {
    await until('the first pass over', () => w.engine.getStatus().lastPassMs !== null);
    await page.click('#btn-pause-hour');
    await until('paused', () => w.engine.getStatus().pausedUntilMs !== null);
    const nextPass = async () =>
      page.evaluate(
        () =>
          [...document.querySelectorAll('#card-timing + dl dt')].find(
            (dt) => dt.textContent === 'Next pass',
          )?.nextElementSibling?.textContent ?? '',
      );
    await page.waitForSelector('#btn-resume:not([hidden])');
    // Before: "paused until in 60 min (2026-12-04 12:05:18)".
    assert.match(
      await nextPass(),
      /^paused, resumes in (59|60) min \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\)$/,
    );
  } finally {
    await w.close();
  }
});

test('the spoken state line is rewritten only when its words change, not at each progress tick', async (t) => {
  if (await noChromium(t)) return;
  const w = await openWindow({ intervalSeconds: 3600 });
  const { page } = w;
  try {
    await until('the first pass over', () => w.engine.getStatus().lastPassMs !== null);
    // #state-line is a live region: each write is read out again by a screen reader. Record
    // every write (a text node replaced counts, even with the same words) and what it said.
    await page.evaluate(() => {
      const writes: string[] = [];
      (window as unknown as { __writes: string[] }).__writes = writes;
      const line = document.getElementById('state-line')!;
      new MutationObserver(() => writes.push(line.textContent ?? '')).observe(line, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    // A slow link: a 6 MiB upload takes a few seconds, with a status push every 250 ms.
    w.emulator.shapeLink({ bytesPerSecond: 2_000_000 });
    await drop(w, 'RDL/USB2/big.bin', Buffer.alloc(6 << 20, 7));
    for (let i = 0; i < 4 && w.engine.getStatus().counts.doneThisRun === 0; i++)
      await w.engine.runPassNow();
    w.emulator.shapeLink({});
    assert.equal(w.engine.getStatus().counts.doneThisRun, 1);
    await until('the window to settle', async () =>
      /^Up to date/.test(await text(page, '#state-line')),
    );
    const writes = await page.evaluate(
      () => (window as unknown as { __writes: string[] }).__writes,
    );
    const repeats = writes.filter((s, i) => i > 0 && s === writes[i - 1]);
    // Before: the same sentence was written again with each progress push during the upload.
    assert.ok(writes.length >= 2, `the line changed: ${JSON.stringify(writes)}`);
    assert.deepEqual(repeats, [], `${writes.length} writes`);

    // The Transfers summary is a live region too, re-queried as files finish and on Refresh.
    await page.click('#tab-transfers');
    await until('the summary', async () => (await text(page, '#history-summary')) === '1 transfer');
    await page.evaluate(() => {
      const said: string[] = [];
      (window as unknown as { __said: string[] }).__said = said;
      const summary = document.getElementById('history-summary')!;
      new MutationObserver(() => said.push(summary.textContent ?? '')).observe(summary, {
        childList: true,
        characterData: true,
        subtree: true,
      });
    });
    for (let i = 0; i < 2; i++) {
      const asked = w.holdNextReply('queryHistory');
      await page.click('#panel-transfers button:has-text("Refresh")');
      await asked.answered;
      asked.release();
    }
    await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
    // Before: "1 transfer" written (and read out) again at each refresh.
    assert.deepEqual(
      await page.evaluate(() => (window as unknown as { __said: string[] }).__said),
      [],
    );
  } finally {
    w.emulator.shapeLink({});
    await w.close();
  }
});

test('connecting and disconnecting Dropbox from the keyboard leaves the focus in the Dropbox section', async (t) => {
  if (await noChromium(t)) return;
  const w = await openWindow({ intervalSeconds: 3600 }, undefined, {
    beforeEngine: ({ configDir }) => fs.rm(path.join(configDir, 'credentials.json')),
  });
  const { page } = w;
  const focused = () =>
    page.evaluate(() => ({
      id: document.activeElement?.id ?? '',
      inDropbox: Boolean(document.activeElement?.closest('[aria-labelledby="dropbox-title"]')),
    }));
  try {
    await page.click('#tab-settings');
    await page.waitForSelector('#dropbox-connect');
    await page.focus('#dropbox-connect');
    await page.keyboard.press('Enter');
    const url = await until(
      'the authorize address',
      async () => (await text(page, '#dropbox-steps .url')) || undefined,
    );
    const challenge = new URL(url).searchParams.get('code_challenge')!;
    assert.equal((await focused()).id, 'dropbox-code', 'the code field takes the focus');
    await page.keyboard.type(w.emulator.approveAuthorization({ codeChallenge: challenge }));
    await page.keyboard.press('Enter');
    await until('connected', async () =>
      /^Connected to Dropbox as /.test(await text(page, '#notice')),
    );
    // Before: the form (and the focused field in it) was removed: the focus fell to the page,
    // and the next Tab started again at "Sync now" at the top of the window.
    assert.deepEqual(await focused(), { id: 'dropbox-connect', inDropbox: true });

    await page.waitForSelector('#dropbox-disconnect:not([hidden])');
    page.once('dialog', (d) => void d.accept());
    await page.focus('#dropbox-disconnect');
    await page.keyboard.press('Enter');
    await until('disconnected', async () =>
      /^Dropbox disconnected/.test(await text(page, '#notice')),
    );
    await page.waitForSelector('#dropbox-disconnect[hidden]', { state: 'attached' });
    // Before: the focused Disconnect button was hidden under the keyboard.
    assert.deepEqual(await focused(), { id: 'dropbox-connect', inDropbox: true });
  } finally {
    await w.close();
  }
});

test('Settings: "Saved." does not stay beside a change made after the save', async (t) => {
  if (await noChromium(t)) return;
  const w = await openWindow({ intervalSeconds: 3600 });
  const { page } = w;
  try {
    await page.click('#tab-settings');
    await page.waitForSelector('#set-site');
    await page.fill('#set-site', 'north-field');
    await page.click('#settings-save');
    await until('saved', async () => /^Saved/.test(await text(page, '#settings-status')));
    // Another change, not saved: before, the line still read "Saved. The new settings apply
    // from the next pass." and the window could be closed on the change.
    await page.fill('#set-intervalSeconds', '600');
    assert.equal(
      await text(page, '#settings-status'),
      'Changed, not saved yet: press Save to keep it.',
    );
    await page.click('#settings-save');
    await until('saved again', async () => /^Saved/.test(await text(page, '#settings-status')));
    assert.equal(w.engine.getSettings().intervalSeconds, 600);
    await page.check('#set-startAtLogin');
    assert.match(await text(page, '#settings-status'), /^Changed, not saved yet/);
    await page.click('#settings-cancel');
    assert.equal(await text(page, '#settings-status'), 'Changes discarded.');
  } finally {
    await w.close();
  }
});

test('first run: a mistake in "Choose the folders" is tied to its field and takes the focus there', async (t) => {
  if (await noChromium(t)) return;
  const w = await openWindow({}, undefined, { unconfigured: true });
  const { page } = w;
  try {
    await page.waitForSelector('#setup-choose-manual');
    await page.click('#setup-choose-manual');
    await page.waitForSelector('#setup-watch');
    // A folder on this computer, its path left empty, and no site name; Enter from the keyboard.
    await page.check('#setup-archive-local');
    await page.fill('#setup-archive', '');
    await page.fill('#setup-site', '');
    await page.focus('#setup-site');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#setup-errors li');
    const field = (id: string) =>
      page.evaluate((id) => {
        const input = document.getElementById(id)!;
        const ids = (input.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
        return {
          invalid: input.getAttribute('aria-invalid'),
          description: ids.map((d) => document.getElementById(d)?.textContent ?? '').join(' '),
        };
      }, id);
    // Before: the messages were a list under the form, tied to no field, and the focus stayed
    // where it was.
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'setup-archive');
    const archive = await field('setup-archive');
    assert.equal(archive.invalid, 'true');
    assert.match(archive.description, /^Archive folder is empty: choose/);
    const site = await field('setup-site');
    assert.equal(site.invalid, 'true');
    assert.match(site.description, /^Site name is empty .*: enter the site name/);
    assert.deepEqual(await field('setup-watch'), { invalid: null, description: '' });

    // The site fixed, saved again: its mark goes, the archive's stays.
    await page.fill('#setup-site', 'Site3_Lakeshore');
    await page.click('#setup-save');
    await until('one message left', async () => (await page.$$('#setup-errors li')).length === 1);
    assert.deepEqual(await field('setup-site'), { invalid: null, description: '' });
    assert.equal((await field('setup-archive')).invalid, 'true');
    await page.fill('#setup-archive', path.join(w.root, 'archive-here'));
    await fs.mkdir(path.join(w.root, 'archive-here'));
    await page.click('#setup-save');
    await page.waitForSelector('#setup-summary');
  } finally {
    await w.close();
  }
});
