// Loggers that go silent, with a controllable clock: each source folder learns its usual interval
// from the history, is reported when silent for much longer (factor × usual, or an override), and
// clears when files arrive again. A placeholder site name from a cloned image is a problem too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { systemClock, type Clock } from '../../src/engine/ports.js';
import {
  learnSources,
  silenceRulesOf,
  silentSourceProblem,
  sourceOf,
} from '../../src/engine/health/silent-sources.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { listFilesRel, startHarness, type Harness } from '../engine/harness.js';
import { canMount, mountTmpfs, unmount } from '../archive/helpers.js';

const HOUR = 3_600_000;

const listTransit = (h: Harness): Promise<string[]> => listFilesRel(h.transitDir);

test('source folders: one or two levels, date folders are not part of a source', () => {
  assert.equal(sourceOf('RDL/USB0/2026-11/RDL_2026-11-29_USB0.txt'), 'RDL/USB0');
  assert.equal(sourceOf('RDL/USB0/2026-11-29/RDL_2026-11-29_13_USB0.txt'), 'RDL/USB0');
  assert.equal(sourceOf('cameras/reolink1/2026-11-29/2026-11-29_10_15.jpg'), 'cameras/reolink1');
  assert.equal(sourceOf('internet/internet_2026-11-29.txt'), 'internet');
  assert.equal(sourceOf('internet/2026-11/internet_2026-11-29.txt'), 'internet');
  assert.equal(sourceOf('loose.csv'), '(top folder)');
  assert.equal(sourceOf('RDL/USB0.txt'), 'RDL');
  assert.equal(sourceOf('RDL/20261129/x.txt'), 'RDL');
  assert.equal(sourceOf('a/b/c/d/e.txt'), 'a/b');
});

test('learning needs enough samples; the median ignores one late file; overrides win', () => {
  const rules = silenceRulesOf({
    silentSourceFactor: 3,
    silentSourceMinSamples: 6,
    silentSourceOverrides: ['cameras/reolink1=0', 'internet=120'],
  });
  const t0 = 1_000_000_000_000;
  const hourly = [0, 1, 2, 3, 4.5, 5.5, 6.5].map((h) => ({
    rel: `RDL/USB0/2026-11/${h}.txt`,
    atMs: t0 + h * HOUR,
  }));
  const few = [0, 1, 2].map((h) => ({ rel: `cameras/reolink2/d/${h}.jpg`, atMs: t0 + h * HOUR }));
  const off = [0, 1, 2, 3, 4, 5, 6].map((h) => ({
    rel: `cameras/reolink1/d/${h}.jpg`,
    atMs: t0 + h * HOUR,
  }));
  const daily = [{ rel: 'internet/a.txt', atMs: t0 }];
  const at = t0 + 6.5 * HOUR + 3.2 * HOUR;
  const s = learnSources([...hourly, ...few, ...off, ...daily], rules, at);
  const by = new Map(s.map((x) => [x.source, x]));
  assert.equal(by.get('RDL/USB0')?.usualIntervalMs, HOUR);
  assert.equal(by.get('RDL/USB0')?.silentAfterMs, 3 * HOUR);
  assert.equal(by.get('RDL/USB0')?.silent, true, '3.2 h after an hourly source');
  assert.deepEqual(
    [by.get('cameras/reolink2')?.usualIntervalMs, by.get('cameras/reolink2')?.silent],
    [null, false],
    'two intervals are not enough to learn from',
  );
  assert.deepEqual(
    [by.get('cameras/reolink1')?.silentAfterMs, by.get('cameras/reolink1')?.silent],
    [null, false],
  );
  assert.deepEqual(
    [by.get('internet')?.silentAfterMs, by.get('internet')?.silent],
    [120 * 60_000, true],
  );
});

/** Drops one file for `rel` into the watch folder and runs passes until it is done (bounded). */
async function deliver(h: Harness, rel: string): Promise<void> {
  await h.drop(rel, `${rel}\n`);
  let done = 0;
  for (let i = 0; i < 4 && done === 0; i++) done = (await h.engine.runPassNow()).done;
  assert.equal(done, 1, `${rel} synced`);
}

test('with a controllable clock: an hourly logger silent for 4 h is a problem; a new file clears it', async () => {
  let now = Date.parse('2026-11-20T00:00:00Z');
  const clock: Clock = { now: () => now, sleep: systemClock.sleep };
  const h = await startHarness({ engine: { clock } });
  try {
    for (let i = 0; i < 7; i++) {
      await deliver(h, `RDL/USB0/2026-11/RDL_2026-11-20_${String(i).padStart(2, '0')}_USB0.txt`);
      await deliver(
        h,
        `cameras/reolink1/2026-11-20/2026-11-20_${String(i).padStart(2, '0')}_00.jpg`,
      );
      now += HOUR;
    }
    let s = h.engine.getStatus();
    const usb0 = s.sources?.find((x) => x.source === 'RDL/USB0');
    assert.equal(usb0?.usualIntervalMs, HOUR, JSON.stringify(s.sources));
    assert.equal(usb0?.lastFileRel, 'RDL/USB0/2026-11/RDL_2026-11-20_06_USB0.txt');
    assert.ok(!s.problems.some((p) => p.code === 'source-silent'));

    // The serial port jams: RDL/USB0 stops; the camera goes on.
    for (let i = 7; i < 11; i++) {
      now += HOUR;
      await deliver(
        h,
        `cameras/reolink1/2026-11-20/2026-11-20_${String(i).padStart(2, '0')}_00.jpg`,
      );
    }
    s = h.engine.getStatus();
    const silent = s.problems.filter((p) => p.code === 'source-silent');
    assert.deepEqual(
      silent.map((p) => p.id),
      ['source-silent:RDL/USB0'],
    );
    assert.match(
      silent[0]!.message,
      /No new file from RDL\/USB0 for 5 h \(usually a file every 60 min\); the last was RDL\/USB0\/2026-11\/RDL_2026-11-20_06_USB0\.txt: check that logger/,
    );
    assert.equal(s.sources?.find((x) => x.source === 'RDL/USB0')?.silent, true);

    // With no daemon (`rdl-sync status`'s engine, which moves nothing), a new file in transit is
    // an arrival too: a `once` moved it there with the card away, and status called the working
    // logger silent from the history alone.
    const fresh = path.join(h.transitDir, 'RDL/USB0/2026-11/RDL_2026-11-20_11_USB0.txt');
    await fs.mkdir(path.dirname(fresh), { recursive: true });
    await fs.writeFile(fresh, 'new\n');
    await fs.utimes(fresh, new Date(now - 60_000), new Date(now - 60_000));
    const reader = await createEngine({ configDir: h.configDir, readOnly: true, clock });
    try {
      await reader.probe();
      const read = reader.getStatus();
      assert.ok(
        !read.problems.some((p) => p.code === 'source-silent'),
        JSON.stringify(read.problems),
      );
      assert.equal(read.sources?.find((x) => x.source === 'RDL/USB0')?.silent, false);
    } finally {
      await reader.stop();
    }
    await fs.rm(fresh);

    // An override for that source (10 h) silences the report; removing it brings it back.
    const base = h.engine.getSettings();
    assert.ok(
      (await h.engine.saveSettings({ ...base, silentSourceOverrides: ['RDL/USB0=600'] })).ok,
    );
    await h.engine.runPassNow();
    assert.ok(!h.engine.getStatus().problems.some((p) => p.code === 'source-silent'));
    assert.ok((await h.engine.saveSettings({ ...base, silentSourceOverrides: [] })).ok);
    await h.engine.runPassNow();
    assert.ok(h.engine.getStatus().problems.some((p) => p.id === 'source-silent:RDL/USB0'));

    // A new file from it in the watch folder, not finished yet (its writer still has it open):
    // the logger is working. It was called silent beside "Waiting in watch folder: 1".
    const writing = path.join(h.watchDir, 'RDL/USB0/2026-11/RDL_2026-11-20_10_USB0.txt');
    await fs.mkdir(path.dirname(writing), { recursive: true });
    const writer = await fs.open(writing, 'a');
    try {
      await writer.write('t,v\n');
      await h.engine.runPassNow();
      const settling = h.engine.getStatus();
      assert.equal(settling.counts.settling, 1, 'still being written: not staged');
      assert.ok(
        !settling.problems.some((p) => p.code === 'source-silent'),
        JSON.stringify(settling.problems),
      );
    } finally {
      await writer.close();
      await fs.rm(writing);
    }

    // Someone clears the port: files arrive again and the problem clears.
    now += 10 * 60_000;
    await deliver(h, 'RDL/USB0/2026-11/RDL_2026-11-20_11_USB0.txt');
    assert.ok(!h.engine.getStatus().problems.some((p) => p.code === 'source-silent'));
  } finally {
    await h.close();
  }
});

test('a placeholder site name from a cloned image holds the uploads (the archive copy goes on) until it is set, and says so once', async () => {
  const h = await startHarness({ settings: { site: 'SiteX_Dummy' } });
  try {
    const rel = 'RDL/USB0/2026-11/RDL_2026-11-20_USB0.txt';
    await h.drop(rel, 't,v\n1,2\n');
    await h.engine.runPassNow();
    const s = h.engine.getStatus();
    const site = s.problems.filter((x) => x.code === 'site-placeholder');
    assert.equal(site.length, 1, JSON.stringify(s.problems));
    assert.match(
      site[0]!.message,
      /^Site: the site name "SiteX_Dummy" looks like a placeholder .*uploads wait until the real site name is set, so that hubs cloned from one image never mix their data \(rdl-sync settings set site <name>, or in Settings\); files wait safely in transit$/,
    );
    // Two hubs cloned from one image would have mixed their data in this folder.
    assert.equal(h.emulator.getFile(`/RDL/SiteX_Dummy/${rel}`), undefined, 'nothing uploaded');
    assert.ok(await fs.stat(path.join(h.archiveDir, rel)), 'the archive copy goes on');
    assert.deepEqual(await listTransit(h), [rel], 'it waits in transit');

    assert.ok(
      (await h.engine.saveSettings({ ...h.engine.getSettings(), site: 'Site4_Sherbrooke' })).ok,
    );
    await h.engine.runPassNow();
    assert.ok(!h.engine.getStatus().problems.some((x) => x.id === 'site-placeholder'));
    assert.ok(h.emulator.getFile(`/RDL/Site4_Sherbrooke/${rel}`), 'uploaded under the real name');
    assert.deepEqual(await listTransit(h), [], 'and done');
  } finally {
    await h.close();
  }
});

test('files waiting in transit (the SD card out) count as arrivals: a working logger is not silent, a stopped one is', async () => {
  let now = Date.parse('2026-11-20T00:00:00Z');
  const clock: Clock = { now: () => now, sleep: systemClock.sleep };
  const h = await startHarness({ engine: { clock } });
  const hour = (i: number) => String(i).padStart(2, '0');
  try {
    for (let i = 0; i < 7; i++) {
      await deliver(h, `RDL/USB0/2026-11/RDL_2026-11-20_${hour(i)}_USB0.txt`);
      await deliver(h, `cameras/reolink1/2026-11-20/2026-11-20_${hour(i)}_00.jpg`);
      now += HOUR;
    }
    // The card is pulled: every file now waits in transit. RDL/USB0 goes on; the camera stops.
    const card = `${h.archiveDir}-pulled`;
    await fs.rename(h.archiveDir, card);
    for (let i = 7; i < 12; i++) {
      await h.drop(`RDL/USB0/2026-11/RDL_2026-11-20_${hour(i)}_USB0.txt`, `${i}\n`);
      const r = await h.engine.runPassNow();
      assert.equal(r.archiveBlocked?.code, 'archive-missing');
      assert.equal(r.done, 0);
      now += HOUR;
    }
    await h.engine.runPassNow();
    const s = h.engine.getStatus();
    assert.ok(s.problems.some((p) => p.id === 'archive-missing'));
    const silent = s.problems.filter((p) => p.code === 'source-silent').map((p) => p.id);
    assert.deepEqual(silent, ['source-silent:cameras/reolink1'], JSON.stringify(s.problems));
    const usb0 = s.sources?.find((x) => x.source === 'RDL/USB0');
    assert.equal(usb0?.lastFileRel, 'RDL/USB0/2026-11/RDL_2026-11-20_11_USB0.txt');
    assert.equal(usb0?.silent, false);

    // The card is back: the queue drains and the same answer stands from the history alone.
    await fs.rename(card, h.archiveDir);
    assert.equal((await h.engine.runPassNow()).done, 5);
    const after = h.engine.getStatus().problems.filter((p) => p.code === 'source-silent');
    assert.deepEqual(
      after.map((p) => p.id),
      ['source-silent:cameras/reolink1'],
    );
  } finally {
    await h.close();
  }
});

test('after a restart, a stopped logger whose last file still waits in transit stays silent (its wait is not a new arrival)', async () => {
  let now = Date.parse('2026-11-20T00:00:00Z');
  const clock: Clock = { now: () => now, sleep: systemClock.sleep };
  const h = await startHarness({ engine: { clock } });
  const hour = (i: number) => String(i).padStart(2, '0');
  const camera = (i: number) => `cameras/reolink1/2026-11-20/2026-11-20_${hour(i)}_00.jpg`;
  // Written by the logger when it was delivered (staging keeps the time): the logger's own word.
  const dropAt = async (rel: string) => {
    await h.drop(rel, `${rel}\n`);
    const at = new Date(now);
    await fs.utimes(`${h.watchDir}/${rel}`, at, at);
  };
  let restarted: Engine | null = null;
  try {
    for (let i = 0; i < 7; i++) {
      await deliver(h, `RDL/USB0/2026-11/RDL_2026-11-20_${hour(i)}_USB0.txt`);
      await deliver(h, camera(i));
      now += HOUR;
    }
    // The card is pulled; the camera delivers one more file, then stops. Both wait in transit.
    const card = `${h.archiveDir}-pulled`;
    await fs.rename(h.archiveDir, card);
    await dropAt(camera(7));
    for (let i = 7; i < 12; i++) {
      await dropAt(`RDL/USB0/2026-11/RDL_2026-11-20_${hour(i)}_USB0.txt`);
      assert.equal((await h.engine.runPassNow()).archiveBlocked?.code, 'archive-missing');
      now += HOUR;
    }
    await h.engine.runPassNow();
    const silentIds = (e: Engine) =>
      e
        .getStatus()
        .problems.filter((p) => p.code === 'source-silent')
        .map((p) => p.id);
    assert.deepEqual(silentIds(h.engine), ['source-silent:cameras/reolink1']);

    // The hub restarts (the card still out): the files it meets in transit arrived long ago.
    await h.engine.stop();
    restarted = await createEngine({ configDir: h.configDir, home: h.root, clock });
    assert.equal((await restarted.runPassNow()).archiveBlocked?.code, 'archive-missing');
    assert.deepEqual(silentIds(restarted), ['source-silent:cameras/reolink1']);
    const cam = restarted.getStatus().sources?.find((x) => x.source === 'cameras/reolink1');
    assert.equal(cam?.lastFileRel, camera(7));
    assert.equal(cam?.lastFileMs, Date.parse('2026-11-20T07:00:00Z'));
    const usb0 = restarted.getStatus().sources?.find((x) => x.source === 'RDL/USB0');
    assert.equal(usb0?.silent, false);
  } finally {
    await restarted?.stop();
    await h.close();
  }
});

/**
 * A hub whose transit is on a small disk of its own (a 1 MiB tmpfs): both sources deliver hourly
 * for 7 h (learnt), then something else fills that disk. `dropAt` writes a file into the watch
 * folder with the mtime given (the logger's word for when it wrote it). `close` unmounts the disk
 * (lazily) before the harness removes its root.
 */
async function transitFilledAfterLearning(): Promise<{
  h: Harness;
  clock: { now: number };
  dropAt(rel: string, atMs: number): Promise<void>;
  close(): Promise<void>;
}> {
  const clock = { now: Date.parse('2026-11-20T00:00:00Z') };
  const h = await startHarness({
    engine: { clock: { now: () => clock.now, sleep: systemClock.sleep } },
  });
  const disk = `${h.root}/transit-disk`;
  await fs.mkdir(disk, { recursive: true });
  mountTmpfs(disk, 1024);
  const close = async (): Promise<void> => {
    await h.engine.stop().finally(() => unmount(disk));
    await h.close();
  };
  try {
    const moved = await h.engine.saveSettings({ ...h.settings, transitDir: `${disk}/transit` });
    assert.ok(moved.ok);
    for (let i = 0; i < 7; i++) {
      await deliver(h, `RDL/USB0/2026-11/RDL_2026-11-20_${hour(i)}_USB0.txt`);
      await deliver(h, `cameras/reolink1/2026-11-20/2026-11-20_${hour(i)}_00.jpg`);
      clock.now += HOUR;
    }
    await fs.writeFile(`${disk}/filler`, Buffer.alloc(1024 * 1024)).catch(() => {});
  } catch (e) {
    await close();
    throw e;
  }
  const dropAt = async (rel: string, atMs: number): Promise<void> => {
    await h.drop(rel, `${rel}\n`);
    await fs.utimes(`${h.watchDir}/${rel}`, new Date(atMs), new Date(atMs));
  };
  return { h, clock, dropAt, close };
}

const hour = (i: number): string => String(i).padStart(2, '0');

test('files a full transit disk keeps in the watch folder count as arrivals: a working logger is not silent, a stopped one is', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  // Transit on a disk of its own, as on a hub whose SD card holds the system and transit; then
  // something else fills it: RDL/USB0 goes on writing, the camera stops.
  const { h, clock, dropAt, close } = await transitFilledAfterLearning();
  try {
    for (let i = 7; i < 12; i++) {
      await dropAt(`RDL/USB0/2026-11/RDL_2026-11-20_${hour(i)}_USB0.txt`, clock.now);
      assert.equal((await h.engine.runPassNow()).staged, 0, 'no room in transit');
      clock.now += HOUR;
    }
    await h.engine.runPassNow();
    const s = h.engine.getStatus();
    assert.ok(
      s.problems.some((p) => p.id === 'transit-unwritable'),
      JSON.stringify(s.problems),
    );
    const silent = s.problems.filter((p) => p.code === 'source-silent').map((p) => p.id);
    assert.deepEqual(silent, ['source-silent:cameras/reolink1'], JSON.stringify(s.problems));
    const usb0 = s.sources?.find((x) => x.source === 'RDL/USB0');
    assert.equal(usb0?.lastFileRel, 'RDL/USB0/2026-11/RDL_2026-11-20_11_USB0.txt');
    assert.equal(usb0?.silent, false);
  } finally {
    await close();
  }
});

test('a file held in the watch folder with an mtime ahead of the clock does not keep its stopped logger from being silent', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const { h, clock, dropAt, close } = await transitFilledAfterLearning();
  try {
    // The camera's last file before it stopped, stamped a year ahead (its clock jumped); it waits
    // in the watch folder with the others while transit is full.
    await dropAt('cameras/reolink1/2026-11-20/2027-11-20_07_00.jpg', clock.now + 365 * 24 * HOUR);
    for (let i = 7; i < 12; i++) {
      await dropAt(`RDL/USB0/2026-11/RDL_2026-11-20_${hour(i)}_USB0.txt`, clock.now);
      assert.equal((await h.engine.runPassNow()).staged, 0, 'no room in transit');
      clock.now += HOUR;
    }
    await h.engine.runPassNow();
    const s = h.engine.getStatus();
    const silent = s.problems.filter((p) => p.code === 'source-silent').map((p) => p.id);
    assert.deepEqual(silent, ['source-silent:cameras/reolink1'], JSON.stringify(s.sources));
    const camera = s.sources?.find((x) => x.source === 'cameras/reolink1');
    assert.equal(camera?.lastFileMs, Date.parse('2026-11-20T07:00:00Z'), 'first held at 07:00');
  } finally {
    await close();
  }
});

// Found by an operator trial: Dropbox held every pass up for about two minutes, and loggers that
// wrote each 30 s were alerted as silent, then resolved, at each pass's end: a file that came
// during the pass is seen only by the next scan, but the silence was measured up to the pass's
// end. It is measured up to when the pass looked.
test('a pass held up long is no silence of the loggers it looked at', async () => {
  let now = Date.parse('2026-11-21T00:00:00Z');
  const clock: Clock = { now: () => now, sleep: systemClock.sleep };
  const h = await startHarness({ engine: { clock } });
  try {
    for (let i = 0; i < 7; i++) {
      await deliver(h, `RDL/USB0/2026-11/RDL_2026-11-21_${String(i).padStart(2, '0')}_USB0.txt`);
      now += HOUR;
    }
    // A file from the logger, then a pass that Dropbox holds up for 3.5 (clock) hours.
    await h.drop('RDL/USB0/2026-11/RDL_2026-11-21_07_USB0.txt', 'new\n');
    h.emulator.shapeLink({ latencyMs: 400 });
    const held = setTimeout(() => (now += 3.5 * HOUR), 100);
    await h.engine.runPassNow();
    clearTimeout(held);
    h.emulator.shapeLink({ latencyMs: 0 });
    const s = h.engine.getStatus();
    assert.ok(now - Date.parse('2026-11-21T07:00:00Z') >= 3.5 * HOUR, 'the clock moved on');
    assert.ok(
      !s.problems.some((p) => p.code === 'source-silent'),
      JSON.stringify(s.problems.map((p) => p.message)),
    );
  } finally {
    await h.close();
  }
});

// NTP setting a Pi's clock two hours forward, some time after a boot: every logger's last file
// then looked two hours old, and a camera writing each minute was alerted as silent "for 2 h",
// resolved at its next file (unattended-hub trial under libfaketime). The step is told by the
// monotonic clock and is no silence; a real silence after it is still said, for its real length.
test('a forward step of the wall clock is no silence; a silence after it is said for the time that passed', async () => {
  let wall = Date.parse('2026-11-20T00:00:00Z');
  let mono = 1_000_000;
  const clock: Clock = { now: () => wall, monotonic: () => mono, sleep: systemClock.sleep };
  const tick = (ms: number): void => {
    wall += ms;
    mono += ms;
  };
  const h = await startHarness({ engine: { clock } });
  try {
    for (let i = 0; i < 7; i++) {
      await deliver(h, `RDL/USB0/2026-11/RDL_2026-11-20_${String(i).padStart(2, '0')}_USB0.txt`);
      tick(HOUR);
    }
    assert.ok(!h.engine.getStatus().problems.some((p) => p.code === 'source-silent'));

    // The clock is set 2.5 h forward (the monotonic clock, as ever, does not move with it).
    wall += 2.5 * HOUR;
    tick(10 * 60_000);
    await h.engine.runPassNow();
    let s = h.engine.getStatus();
    assert.ok(
      !s.problems.some((p) => p.code === 'source-silent'),
      `no silence for a step: ${JSON.stringify(s.problems)}`,
    );
    assert.equal(s.sources?.find((x) => x.source === 'RDL/USB0')?.silent, false);

    // The serial port then really jams: 3.7 h without a file (the limit is 3 h) is said as 3.7 h, not 6.2.
    tick(2.5 * HOUR);
    await h.engine.runPassNow();
    s = h.engine.getStatus();
    const silent = s.problems.filter((p) => p.code === 'source-silent');
    assert.deepEqual(
      silent.map((p) => p.id),
      ['source-silent:RDL/USB0'],
    );
    assert.match(silent[0]!.message, /No new file from RDL\/USB0 for 3\.7 h /);
  } finally {
    await h.close();
  }
});

// A serial logger (RDL/USB0) was told to check "a camera without power or network": the advice
// follows the kind of source its folder and last file tell, and fits any when they tell none.
test('the advice for a silent source fits its kind: serial logger, camera, or neither', () => {
  const at = 10 * 3_600_000;
  const advice = (source: string, lastFileRel: string): string =>
    silentSourceProblem(
      {
        source,
        lastFileMs: 0,
        lastFileRel,
        usualIntervalMs: 3_600_000,
        silentAfterMs: 3 * 3_600_000,
        silent: true,
      },
      at,
    ).message.replace(/^.*?: (?=check that)/, '');
  const serial = advice('RDL/USB0', 'RDL/USB0/2026-11/RDL_2026-11-20_06_USB0.txt');
  assert.match(serial, /^check that logger: .*serial cable/);
  assert.doesNotMatch(serial, /camera/);
  const camera = advice('cameras/reolink1', 'cameras/reolink1/2026-11-20/08_00.jpg');
  assert.equal(camera, 'check that camera: its power and its network connection');
  const other = advice('internet', 'internet/speed.csv');
  assert.doesNotMatch(other, /camera|serial/);
  assert.match(other, /^check that logger: /);
});
