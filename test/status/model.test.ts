import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusModel, deriveState } from '../../src/engine/status/model.js';

test('state word follows the facts: paused > error > offline > attention > syncing > idle', () => {
  let now = 1_000;
  const m = new StatusModel(() => now);
  assert.equal(m.snapshot().state, 'idle');
  m.update({ passRunning: true, counts: { ...m.current.counts, transit: 3 } });
  assert.equal(m.snapshot().state, 'syncing');
  assert.match(m.snapshot().sentence, /Syncing 3 files/);
  m.raise({
    id: 'archive-missing',
    code: 'archive-missing',
    severity: 'attention',
    message: 'SD card not mounted at /media/x; 3 files are waiting safely.',
    tab: 'status',
  });
  assert.equal(m.snapshot().state, 'attention');
  assert.equal(
    m.snapshot().sentence,
    'SD card not mounted at /media/x; 3 files are waiting safely.',
  );
  m.update({ offline: true });
  assert.equal(m.snapshot().state, 'offline');
  m.raise({
    id: 'auth-revoked',
    code: 'auth-revoked',
    severity: 'error',
    message: 'Reconnect Dropbox.',
    tab: 'settings',
  });
  assert.equal(m.snapshot().state, 'error');
  assert.match(m.snapshot().sentence, /Reconnect Dropbox\. \(\+1 more problem\)/);
  m.update({ paused: true, pausedUntilMs: null });
  assert.equal(m.snapshot().state, 'paused');
  assert.match(m.snapshot().sentence, /Paused until you resume\. 3 files waiting safely\./);
  now += 10;
  m.clear('auth-revoked');
  m.update({ paused: false, offline: false });
  assert.equal(m.snapshot().state, 'attention');
  m.dispose();
});

test('the sentence leads with a problem that holds files back now, before an older warning of what may come', () => {
  let now = 1_000;
  const m = new StatusModel(() => now);
  m.raise({
    id: 'disk-nearly-full:/media/sd',
    code: 'disk-nearly-full',
    severity: 'attention',
    message:
      'The disk holding the archive folder (/media/sd) is 95.9 % full: free space before it fills',
    tab: 'status',
  });
  assert.match(m.snapshot().sentence, /^The disk holding the archive folder/, 'alone, it leads');
  now += 60_000;
  m.raise({
    id: 'archive-readonly',
    code: 'archive-readonly',
    severity: 'attention',
    message: 'SD card at /media/sd is read-only: remount it writable',
    tab: 'status',
  });
  assert.equal(
    m.snapshot().sentence,
    'SD card at /media/sd is read-only: remount it writable (+1 more problem)',
  );
  m.dispose();
});

test('a problem raised twice keeps its first time and notifies once', () => {
  let now = 5;
  const m = new StatusModel(() => now);
  let changes = 0;
  m.onChange(() => changes++);
  const p = {
    id: 'archive-full',
    code: 'archive-full' as const,
    severity: 'attention' as const,
    message: 'full',
    tab: 'status' as const,
  };
  m.raise(p);
  now = 50;
  m.raise(p);
  assert.equal(changes, 1);
  assert.equal(m.snapshot().problems[0]?.sinceMs, 5);
  m.clear('archive-full');
  m.clear('archive-full');
  assert.equal(changes, 2);
  m.dispose();
});

test('transfer rate waits for a meaningful window, then reflects bytes over time', () => {
  let now = 0;
  const m = new StatusModel(() => now, {}, 0);
  m.transferStarted('big.raw', 'upload', 100_000_000);
  now = 5;
  m.transferProgress('big.raw', 'upload', 8_000_000); // one chunk handed over in 5 ms
  assert.equal(m.snapshot().transfers[0]?.rate, 0, 'a 5 ms sample must not read as 1.6 GB/s');
  now = 1_000;
  m.transferProgress('big.raw', 'upload', 12_000_000);
  const rate = m.snapshot().transfers[0]?.rate ?? 0;
  assert.ok(Math.abs(rate - 12_000_000) < 1, `rate ${rate}`);
  m.transferEnded('big.raw', 'upload');
  assert.equal(m.snapshot().transfers.length, 0);
  m.dispose();
});

test('a transfer that starts over (its upload session lost) shows its new rate, never a negative one', () => {
  let now = 0;
  const m = new StatusModel(() => now, {}, 0);
  m.transferStarted('big.raw', 'upload', 100_000_000);
  for (let s = 1; s <= 10; s++) {
    now = s * 1_000;
    m.transferProgress('big.raw', 'upload', s * 4_000_000);
  }
  // Dropbox no longer knows the session: the file goes again from its first byte.
  now = 11_000;
  m.transferProgress('big.raw', 'upload', 0);
  let t = m.snapshot().transfers[0];
  assert.equal(t?.bytesDone, 0);
  assert.ok((t?.rate ?? -1) >= 0, `rate ${t?.rate} right after the restart`);
  now = 12_000;
  m.transferProgress('big.raw', 'upload', 3_000_000);
  t = m.snapshot().transfers[0];
  assert.ok(Math.abs((t?.rate ?? 0) - 3_000_000) < 1, `rate ${t?.rate} after a second more`);
  m.dispose();
});

test('deriveState ignores a running pass with nothing to move', () => {
  const m = new StatusModel(() => 0);
  assert.equal(deriveState({ ...m.current, passRunning: true }, []), 'idle');
  m.dispose();
});

test('times in the sentence are local HH:MM, zero-padded, without the locale machinery', () => {
  let now = new Date(2026, 0, 5, 23, 30).getTime();
  const m = new StatusModel(() => now);
  m.update({ paused: true, pausedUntilMs: new Date(2026, 0, 5, 7, 5).getTime() });
  assert.equal(m.snapshot().sentence, 'Paused until 07:05.');
  // A pause that ends on another day says its date: `pause --for 2d` read "until 07:05" as today.
  m.update({ paused: true, pausedUntilMs: new Date(2026, 0, 7, 7, 5).getTime() });
  assert.equal(m.snapshot().sentence, 'Paused until 2026-01-07 07:05.');
  m.update({
    paused: false,
    pausedUntilMs: null,
    lastSuccessMs: new Date(2026, 0, 5, 23, 0).getTime(),
  });
  assert.equal(m.snapshot().sentence, 'Up to date. Last file synced at 23:00.');
  // The last file from another day (read back from the history after a restart) says its date:
  // "at 23:00" alone would read as today.
  now = new Date(2026, 0, 8, 9, 0).getTime();
  assert.equal(m.snapshot().sentence, 'Up to date. Last file synced on 2026-01-05 at 23:00.');
});

test('transfers of one file on both legs are kept apart, listed earliest first, and each ends alone', () => {
  let now = 100;
  const m = new StatusModel(() => now, {}, 0);
  m.transferStarted('a.csv', 'archive', 10);
  now = 101;
  m.transferStarted('b.csv', 'upload', 20);
  now = 102;
  m.transferStarted('a.csv', 'upload', 10);
  m.transferProgress('a.csv', 'upload', 7);
  const shown = (): Array<[string, string, number, number]> =>
    m.snapshot().transfers.map((t) => [t.leg, t.rel, t.bytesDone, t.startedAtMs]);
  assert.deepEqual(shown(), [
    ['archive', 'a.csv', 0, 100],
    ['upload', 'b.csv', 0, 101],
    ['upload', 'a.csv', 7, 102],
  ]);
  // A snapshot holds copies: changing one changes nothing kept.
  m.snapshot().transfers[0]!.bytesDone = 999;
  assert.equal(m.snapshot().transfers[0]!.bytesDone, 0);
  m.transferEnded('a.csv', 'upload');
  m.transferProgress('a.csv', 'upload', 9); // after its end: nothing to update
  assert.deepEqual(shown(), [
    ['archive', 'a.csv', 0, 100],
    ['upload', 'b.csv', 0, 101],
  ]);
  m.transferEnded('a.csv', 'archive');
  m.transferEnded('b.csv', 'upload');
  assert.deepEqual(shown(), []);
  m.dispose();
});

test('files waiting between passes: "it" for one, "them" for more', () => {
  const m = new StatusModel(() => 0);
  m.updateCounts({ transit: 1 });
  assert.equal(m.snapshot().sentence, '1 file waiting safely; the next pass will move it.');
  m.updateCounts({ transit: 2, waiting: 1 });
  assert.equal(m.snapshot().sentence, '3 files waiting safely; the next pass will move them.');
  // Still being written or settling: moved once unchanged, not at the next pass.
  m.updateCounts({ transit: 0, waiting: 2, settling: 2 });
  assert.equal(
    m.snapshot().sentence,
    '2 files still being written or settling; they are moved once unchanged for the stable time.',
  );
  m.updateCounts({ transit: 1, waiting: 2, settling: 1 });
  assert.equal(
    m.snapshot().sentence,
    '3 files waiting safely, 1 of them still being written or settling (moved once unchanged for the stable time); the next pass moves the others.',
  );
  m.dispose();
});

test('each problem is logged when raised and when its cause changes, not as its counts grow; its end too', () => {
  const lines: string[] = [];
  const log = {
    info: (m: string, f?: Record<string, unknown>) => lines.push(`info ${m} ${JSON.stringify(f)}`),
    warn: (m: string, f?: Record<string, unknown>) => lines.push(`warn ${m} ${JSON.stringify(f)}`),
  };
  const status = new StatusModel(() => 1_800_000_000_000);
  status.logProblemsTo(log);
  const offline = (message: string) =>
    status.raise({ id: 'offline', code: 'offline', severity: 'attention', tab: 'status', message });
  offline(
    'Dropbox has been unreachable for 61 min: check the network; 3 files are waiting safely.',
  );
  offline(
    'Dropbox has been unreachable for 62 min: check the network; 4 files are waiting safely.',
  );
  // Past 90 min the figure's unit changes (formatDuration): still the same news.
  offline('Dropbox has been unreachable for 1.5 h: check the network; 4 files are waiting safely.');
  offline(
    'Dropbox has been unreachable for 63 min: cannot connect to the proxy http://p:3128 (from https_proxy).',
  );
  status.raise({
    id: 'file-failing:a.csv',
    code: 'file-unreadable',
    severity: 'attention',
    tab: 'status',
    message: 'a.csv cannot be read',
  });
  status.raise({
    id: 'disk-nearly-full:/media/card',
    code: 'disk-nearly-full',
    severity: 'attention',
    tab: 'status',
    message: 'The card at /media/card is 96% full',
  });
  status.clear('offline');
  status.clear('file-failing:a.csv');
  // A family cleared together (the disks', the silent sources') is logged as resolved one by one.
  status.clearMatching(() => true);
  assert.deepEqual(lines, [
    'warn problem {"id":"offline","message":"Dropbox has been unreachable for 61 min: check the network; 3 files are waiting safely."}',
    'warn problem {"id":"offline","message":"Dropbox has been unreachable for 63 min: cannot connect to the proxy http://p:3128 (from https_proxy)."}',
    'warn problem {"id":"disk-nearly-full:/media/card","message":"The card at /media/card is 96% full"}',
    'info problem resolved {"id":"offline"}',
    'info problem resolved {"id":"disk-nearly-full:/media/card"}',
  ]);
});

test('a problem holding every file back leads the sentence over an older one-file failure', () => {
  let now = 1_000;
  const m = new StatusModel(() => now);
  m.raise({
    id: 'file-failing:odd/a:b.csv',
    code: 'unknown',
    severity: 'attention',
    message: 'odd/a:b.csv failed 3 times: the SD card does not accept the name',
    tab: 'status',
  });
  now += 60_000;
  m.raise({
    id: 'archive-readonly',
    code: 'archive-readonly',
    severity: 'attention',
    message: 'SD card at /media/sd is read-only: remount it writable',
    tab: 'status',
  });
  assert.equal(
    m.snapshot().sentence,
    'SD card at /media/sd is read-only: remount it writable (+1 more problem)',
  );
  m.clear('archive-readonly');
  assert.match(m.snapshot().sentence, /^odd\/a:b\.csv failed 3 times/, 'then the file leads');
  m.dispose();
});

// A card missing on a quiet hub: its problem's waiting count went 1, 2, 0 from pass to pass, and
// each change ("1 file waits", "2 files wait", "new files will wait", the sentence ending with a
// period) was logged again as news, a line every 5 s through an outage (unattended-hub trial).
test('a problem whose waiting files go 1, 2, none is logged once, not at every change of count', () => {
  const lines: string[] = [];
  const log = {
    info: (m: string) => lines.push(`info ${m}`),
    warn: (m: string, f?: Record<string, unknown>) => lines.push(`warn ${m} ${JSON.stringify(f)}`),
  };
  const status = new StatusModel(() => 1_800_000_000_000);
  status.logProblemsTo(log);
  const card = (waiting: string) =>
    status.raise({
      id: 'archive-missing',
      code: 'archive-missing',
      severity: 'attention',
      tab: 'status',
      message: `SD card not mounted at /media/card: insert it; ${waiting}.`,
    });
  card('1 file waits safely in transit');
  card('2 files wait safely in transit');
  card('new files will wait safely in transit');
  card('3 files wait safely in transit, 2 more in the watch folder');
  card('1 file waits safely in the watch folder');
  assert.deepEqual(lines, [
    'warn problem {"id":"archive-missing","message":"SD card not mounted at /media/card: insert it; 1 file waits safely in transit."}',
  ]);
});
