// The status reducer: the pass's events in, the status a person sees out. Real StatusModel; the
// clock is the port's simplest implementation, moved by hand (wall and monotonic separately).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SyncError } from '../../src/engine/errors.js';
import { archiveMissing } from '../../src/engine/archive/problems.js';
import type { Clock } from '../../src/engine/ports.js';
import { StatusModel } from '../../src/engine/status/model.js';
import { StatusReducer } from '../../src/engine/status/reducer.js';
import { withoutWaiting } from '../../src/engine/pipeline/problems.js';
import { settingsUnwritableProblem } from '../../src/engine/status/settings-unwritable.js';
import { classifyDropboxError, exhausted } from '../../src/engine/dropbox/classify.js';
import { proxyUnreachable } from '../../src/engine/net/proxy-tunnel.js';

/** The problems shown now, by id, sorted. */
function problemIds(status: StatusModel): string[] {
  return status
    .snapshot()
    .problems.map((p) => p.id)
    .sort();
}

/** A disk's nearly-full problem as the health check raises it. */
function diskNearlyFull(path: string, message: string) {
  return {
    id: `disk-nearly-full:${path}`,
    code: 'disk-nearly-full' as const,
    severity: 'attention' as const,
    tab: 'status' as const,
    message,
  };
}

function handClock(): Clock & { wall: number; mono: number } {
  const c = {
    wall: 1_800_000_000_000,
    mono: 0,
    now: () => c.wall,
    monotonic: () => c.mono,
    sleep: async () => {},
  };
  return c;
}

const ALERT_MS = 30 * 60_000;
const unreachable = new SyncError({ kind: 'retry', code: 'network', message: 'no route to host' });
/** The card's problem in its own words (archive/problems.ts), before any count is put in. */
const missing = new SyncError({
  kind: 'blocked',
  code: 'archive-missing',
  message: 'SD card not mounted at /media/card: insert it; files wait safely in transit',
});

test('one offline clock: "offline too long" is raised once Dropbox was unreachable for the alert delay, on monotonic time, and cleared when it answers', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  const passEnded = (upload: SyncError | null): void =>
    reducer.apply({
      type: 'pass-ended',
      blocked: { upload, archive: null },
      pending: 4,
      aborted: false,
    });

  passEnded(unreachable);
  assert.equal(status.snapshot().state, 'offline');
  assert.equal(status.hasProblem('offline'), false, 'not a problem yet');
  assert.equal(reducer.offlineSince, 0);

  clock.mono += ALERT_MS - 1;
  clock.wall -= 3_600_000; // a wall-clock step back changes nothing
  passEnded(unreachable);
  assert.equal(status.hasProblem('offline'), false);

  clock.mono += 1;
  passEnded(unreachable);
  const offline = status.snapshot().problems.find((p) => p.id === 'offline');
  assert.ok(offline, 'raised at the alert delay');
  assert.match(
    offline.message,
    /unreachable for 30 min: check the network; 4 files are waiting safely/,
  );
  assert.equal(reducer.offlineSince, 0, 'timed from the first pass that could not reach Dropbox');
  // Its since-when is the outage's start, on the wall clock of now (stepped back an hour above):
  // not the raise, which told a 3 h outage as 2 h in the alert's "Since" and "lasted".
  assert.equal(offline.sinceMs, clock.now() - ALERT_MS);

  reducer.apply({ type: 'leg-reached', leg: 'upload', atMs: clock.now() });
  assert.equal(status.current.offline, false);
  assert.equal(status.current.dropbox.connected, true);
  assert.equal(status.current.dropbox.lastContactMs, clock.now());
  passEnded(null);
  assert.equal(status.hasProblem('offline'), false, 'cleared when Dropbox answers');
  assert.equal(reducer.offlineSince, null);
  assert.equal(status.snapshot().state, 'idle');
});

test('an outage of days reads in days, not thousands of minutes', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  const passEnded = (): void =>
    reducer.apply({
      type: 'pass-ended',
      blocked: { upload: unreachable, archive: null },
      pending: 4,
      aborted: false,
    });
  passEnded();
  clock.mono += 3 * 86_400_000; // a hub's mobile link down over a long weekend
  passEnded();
  const offline = status.snapshot().problems.find((p) => p.id === 'offline');
  assert.ok(offline);
  assert.match(offline.message, /unreachable for 3 days: check the network/);
});

test('an outage of the proxy the environment names says so from the first pass, and in its problem, not "check the network"', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  const proxyDown = proxyUnreachable(
    { host: '10.0.0.3', port: 3128, shown: 'http://10.0.0.3:3128', variable: 'https_proxy' },
    Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }),
  );
  // As the retries leave it: offline, its cause the network error, whose cause is the proxy's.
  const offline = exhausted(classifyDropboxError(proxyDown), 6);
  // From the first pass, before any problem is raised: the state sentence names the proxy.
  reducer.apply({
    type: 'pass-ended',
    blocked: { upload: offline, archive: null },
    pending: 1,
    aborted: false,
  });
  assert.match(
    status.snapshot().sentence,
    /^Dropbox is unreachable: cannot connect to the proxy http:\/\/10\.0\.0\.3:3128 \(from https_proxy\) \(ECONNREFUSED\)/,
  );
  for (let i = 0; i < 2; i++) {
    reducer.apply({
      type: 'pass-ended',
      blocked: { upload: offline, archive: null },
      pending: 1,
      aborted: false,
    });
    clock.mono += ALERT_MS;
  }
  const problem = status.snapshot().problems.find((p) => p.id === 'offline');
  assert.ok(problem);
  assert.match(
    problem.message,
    /^Dropbox has been unreachable for 30 min: cannot connect to the proxy http:\/\/10\.0\.0\.3:3128 \(from https_proxy\) \(ECONNREFUSED\): nothing takes connections/,
  );
});

test('a blocked leg raises its own problem and clears only its own; a card problem never makes the engine offline', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  const revoked = new SyncError({
    kind: 'blocked',
    code: 'auth-revoked',
    message: 'Dropbox access was revoked: reconnect RDL Sync to Dropbox',
  });
  reducer.apply({
    type: 'pass-ended',
    blocked: { upload: revoked, archive: missing },
    pending: 2,
    aborted: false,
  });
  assert.deepEqual(
    status
      .snapshot()
      .problems.map((p) => [p.id, p.severity])
      .sort(),
    [
      ['archive-missing', 'attention'],
      ['auth-revoked', 'error'],
    ],
  );
  assert.match(
    status.snapshot().problems.find((p) => p.id === 'archive-missing')!.message,
    /^SD card not mounted at \/media\/card: insert it; 2 files wait safely in transit\.$/,
    'the count in the card’s own words, not "files wait safely in transit; 2 files are waiting safely"',
  );
  assert.equal(status.current.offline, false);
  // Dropbox reconnected (the pass's uploads were answered); the card still missing.
  reducer.apply({ type: 'leg-reached', leg: 'upload', atMs: clock.now() });
  reducer.apply({
    type: 'pass-ended',
    blocked: { upload: null, archive: missing },
    pending: 2,
    aborted: false,
  });
  assert.deepEqual(
    status.snapshot().problems.map((p) => p.id),
    ['archive-missing'],
  );
  // The archive leg turned off (absent from the pass): its problem does not linger.
  reducer.apply({ type: 'pass-ended', blocked: { upload: revoked }, pending: 0, aborted: false });
  assert.deepEqual(
    status.snapshot().problems.map((p) => p.id),
    ['auth-revoked'],
  );
  // A pass with nothing to upload asks Dropbox nothing: access still reads revoked.
  reducer.apply({ type: 'pass-ended', blocked: { upload: null }, pending: 0, aborted: false });
  assert.deepEqual(
    status.snapshot().problems.map((p) => p.id),
    ['auth-revoked'],
  );
  reducer.apply({ type: 'leg-reached', leg: 'upload', atMs: clock.now() });
  reducer.apply({ type: 'pass-ended', blocked: { upload: null }, pending: 0, aborted: false });
  assert.deepEqual(status.snapshot().problems, []);
});

test('counts, transfers, failing files and finished files fold into the snapshot', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  reducer.apply({ type: 'waiting', count: 3, settling: 2 });
  reducer.apply({ type: 'counts', transit: 5, pending: { upload: 4, archive: 2 }, failed: 1 });
  assert.deepEqual(
    { ...status.snapshot().counts },
    {
      waiting: 3,
      settling: 2,
      transit: 5,
      uploadPending: 4,
      archivePending: 2,
      failed: 1,
      doneThisRun: 0,
    },
  );
  reducer.apply({ type: 'leg-started', leg: 'archive', rel: 'a.csv', size: 10 });
  reducer.apply({ type: 'leg-progress', leg: 'archive', rel: 'a.csv', bytesDone: 4 });
  assert.deepEqual(
    status.snapshot().transfers.map((t) => [t.leg, t.rel, t.bytesDone, t.size]),
    [['archive', 'a.csv', 4, 10]],
  );
  reducer.apply({ type: 'leg-stopped', leg: 'archive', rel: 'a.csv' });
  assert.deepEqual(status.snapshot().transfers, []);

  const refused = new SyncError({
    kind: 'file-failed',
    code: 'malformed-path',
    message: '"b.csv " ends in a space',
  });
  const firstFailedMs = clock.now();
  reducer.apply({
    type: 'leg-failed',
    leg: 'upload',
    rel: 'b.csv ',
    error: refused,
    attempts: 1,
    sinceMs: firstFailedMs,
  });
  reducer.apply({
    type: 'counts',
    failed: 1,
    failing: { rel: 'b.csv ', message: refused.message },
  });
  assert.equal(status.snapshot().state, 'idle', 'one failure is no problem yet');
  assert.equal(
    status.snapshot().sentence,
    'b.csv  could not be synced yet and will be retried: "b.csv " ends in a space. 8 files waiting safely.',
  );
  reducer.apply({
    type: 'counts',
    failed: 2,
    failing: { rel: 'c.csv', message: 'Permission denied: make it readable.' },
  });
  assert.equal(
    status.snapshot().sentence,
    '2 files could not be synced yet and will be retried; c.csv: Permission denied: make it readable. 8 files waiting safely.',
  );
  reducer.apply({
    type: 'counts',
    failed: 1,
    failing: { rel: 'b.csv ', message: refused.message },
  });
  for (const attempts of [2, 3]) {
    clock.wall += 5 * 60_000;
    reducer.apply({
      type: 'leg-failed',
      leg: 'upload',
      rel: 'b.csv ',
      error: refused,
      attempts,
      sinceMs: firstFailedMs,
    });
  }
  const failing = status.snapshot().problems.find((p) => p.id === 'file-failing:b.csv ');
  assert.ok(failing, 'raised at the third attempt');
  assert.equal(failing.sinceMs, firstFailedMs, 'since its first failure, not the third');
  assert.match(
    failing.message,
    /failed 3 times: "b\.csv " ends in a space\. Other files are not affected/,
  );

  clock.wall += 1_000;
  reducer.apply({ type: 'file-done', rel: 'b.csv ', atMs: clock.now() });
  reducer.apply({ type: 'file-done', rel: 'c.csv', atMs: clock.now() });
  assert.equal(
    status.hasProblem('file-failing:b.csv '),
    false,
    'a finished file is no longer failing',
  );
  reducer.apply({ type: 'counts', transit: 3, pending: { upload: 2, archive: 0 }, failed: 0 });
  assert.equal(status.snapshot().counts.doneThisRun, 2);
  // The archive turned off: its leg is absent from the counts, and nothing waits on it any more.
  reducer.apply({ type: 'counts', pending: { upload: 2 } });
  assert.equal(status.snapshot().counts.archivePending, 0);
  assert.equal(status.snapshot().counts.uploadPending, 2);
  assert.equal(status.snapshot().lastSuccessMs, clock.now());
});

test('a pipeline build says at once whether Dropbox is connected: auth-missing raised without credentials, cleared with them, and invalid settings shown until a good build', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  const notConnected = new SyncError({
    kind: 'blocked',
    code: 'auth-missing',
    message: 'Dropbox is not connected: connect RDL Sync to Dropbox in Settings',
  });

  reducer.apply({
    type: 'settings-rejected',
    setupNeeded: false,
    message: 'Settings need fixing: watchDir: required',
    archiveEnabled: true,
    archiveDir: '/media/card',
    archiveIsCard: true,
  });
  assert.deepEqual(
    status.snapshot().problems.map((p) => [p.id, p.tab, p.message]),
    [['settings-invalid', 'settings', 'Settings need fixing: watchDir: required']],
  );
  assert.equal(status.current.archive.path, '/media/card');

  reducer.apply({
    type: 'pipeline-built',
    remoteMissing: notConnected,
    dropboxConnected: false,
    archiveEnabled: false,
    archiveDir: '/media/card',
    archiveIsCard: true,
  });
  const auth = status.snapshot().problems;
  assert.deepEqual(
    auth.map((p) => [p.id, p.severity]),
    [['auth-missing', 'error']],
    'settings-invalid cleared; auth-missing raised before any pass',
  );
  assert.match(auth[0]!.message, /Dropbox is not connected/);
  assert.equal(status.current.dropbox.connected, false);
  assert.equal(status.current.archive.enabled, false);

  reducer.apply({
    type: 'pipeline-built',
    remoteMissing: null,
    dropboxConnected: true,
    archiveEnabled: true,
    archiveDir: '/home/pi/SHELF3/logging-folder/4_synced',
    archiveIsCard: false,
  });
  assert.deepEqual(status.snapshot().problems, []);
  assert.equal(status.current.dropbox.connected, true);
  assert.equal(status.current.archive.enabled, true);
  assert.equal(status.current.archive.card, false, 'a folder on the hub’s disk, named as such');
});

test('a probe of a stopped engine shows the card problem, the card state, the queue and the failures the journal remembers', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  reducer.apply({
    type: 'probed',
    card: {
      problem: missing,
      card: { present: false, writable: false, freeBytes: null, totalBytes: null },
    },
    transit: 3,
    pending: { upload: 2, archive: 3 },
    watch: { waiting: 5, settling: 2 },
    failing: [
      { rel: 'a/c.dat', code: 'io', message: 'EACCES reading a/c.dat', attempts: 1 },
      { rel: 'a/b.dat', code: 'io', message: 'EIO reading a/b.dat', attempts: 7 },
    ],
  });
  const problems = status.snapshot().problems;
  assert.deepEqual(
    problems.map((p) => p.id),
    ['archive-missing', 'file-failing:a/b.dat'],
  );
  assert.equal(status.current.failing?.rel, 'a/b.dat', 'the file that failed most is named');
  assert.match(
    problems[0]!.message,
    /^SD card not mounted at \/media\/card: insert it; 3 files wait safely in transit, 5 more in the watch folder\.$/,
    'the files the probe counted, as a pass counts them',
  );
  assert.equal(status.current.archive.present, false);
  assert.equal(status.current.archive.enabled, true);
  assert.equal(status.current.counts.transit, 3);
  assert.equal(status.current.counts.uploadPending, 2, 'what waits for Dropbox');
  assert.equal(status.current.counts.archivePending, 3, 'what waits for the card');
  assert.equal(status.current.counts.failed, 2);
  assert.equal(status.current.counts.waiting, 5, 'what waits in the watch folder');
  assert.equal(status.current.counts.settling, 2);
  assert.equal(status.current.offline, false, 'a card problem never makes the engine offline');
});

test('a blocked leg with no file waiting promises nothing of files in transit: new files will wait there; the alert policy reads both as the same words', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  const messageAfter = (pending: number, inWatch: number): string => {
    status.update({ counts: { ...status.current.counts, waiting: inWatch } });
    reducer.apply({ type: 'pass-ended', blocked: { archive: missing }, pending, aborted: false });
    return status.snapshot().problems.find((p) => p.id === 'archive-missing')!.message;
  };
  const none = messageAfter(0, 0);
  assert.equal(
    none,
    'SD card not mounted at /media/card: insert it; new files will wait safely in transit.',
  );
  assert.equal(
    withoutWaiting(none.replace(/\.$/, '')),
    withoutWaiting(messageAfter(2, 1).replace(/\.$/, '')),
    'one condition, whatever waits behind it',
  );
  // Known before any pass counted (settings built): the general words, not "none waiting".
  const clockUnset = new SyncError({
    kind: 'blocked',
    code: 'clock-not-set',
    message: 'The clock is not set: uploads wait until it is; files wait safely in transit',
  });
  reducer.apply({
    type: 'pipeline-built',
    remoteMissing: clockUnset,
    archiveEnabled: true,
    archiveDir: '/media/card',
    archiveIsCard: true,
    dropboxConnected: true,
  });
  assert.match(
    status.snapshot().problems.find((p) => p.id === 'clock-not-set')!.message,
    /it is; files wait safely in transit\.$/,
  );
});

test("a blocked leg's problem follows the files waiting behind it as they move from the watch folder to transit in the next pass", () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  const message = (): string =>
    status.snapshot().problems.find((p) => p.id === 'archive-missing')?.message ?? '(none)';
  reducer.apply({ type: 'waiting', count: 12, settling: 0 });
  reducer.apply({ type: 'pass-ended', blocked: { archive: missing }, pending: 0, aborted: false });
  assert.match(message(), /: insert it; 12 files wait safely in the watch folder\.$/);
  // The next pass stages them: the counts say transit, and so does the problem.
  reducer.apply({ type: 'waiting', count: 0, settling: 0 });
  reducer.apply({ type: 'counts', transit: 12 });
  assert.match(message(), /: insert it; 12 files wait safely in transit\.$/);
  reducer.apply({ type: 'counts', transit: 13 });
  assert.match(message(), /: insert it; 13 files wait safely in transit\.$/, 'one more came');
  // Files leaving the queue are the block lifting (the card back, copies made before the pass
  // ends): the words stay those of the trouble, which its "Resolved" quotes.
  reducer.apply({ type: 'counts', transit: 4 });
  assert.match(message(), /: insert it; 13 files wait safely in transit\.$/);
  // The card back: the problem cleared, and no count brings it back.
  reducer.apply({ type: 'pass-ended', blocked: { archive: null }, pending: 0, aborted: false });
  assert.equal(message(), '(none)');
  reducer.apply({ type: 'counts', transit: 3 });
  assert.equal(message(), '(none)');
});

test('the end of a pass: an unexpected failure is the pass-failed problem, a stop is not, and a good pass clears it', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  reducer.apply({ type: 'pass-begun' });
  assert.equal(status.current.passRunning, true);
  reducer.apply({ type: 'pass-finished', atMs: 5, failure: 'boom', aborted: true });
  assert.equal(status.hasProblem('pass-failed'), false, 'a stopped pass is not a failure');
  assert.equal(status.current.passRunning, false);
  assert.equal(status.current.lastPassMs, null, 'a pass cut short is not the last pass');
  reducer.apply({ type: 'pass-finished', atMs: 6, failure: 'boom', aborted: false });
  assert.match(
    status.snapshot().problems.find((p) => p.id === 'pass-failed')!.message,
    /unexpected error \(boom\)/,
  );
  assert.equal(status.current.lastPassMs, 6);
  reducer.apply({ type: 'pass-finished', atMs: 7, failure: null, aborted: false });
  assert.equal(status.hasProblem('pass-failed'), false);
});

test('a pass failed by the settings folder that cannot be written: its problem says it, no pass-failed beside it', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  const full = settingsUnwritableProblem('/cfg', 'ENOSPC')!;
  status.raise(full);
  const failed = { type: 'pass-finished', atMs: 5, aborted: false } as const;
  reducer.apply({
    ...failed,
    failure: 'ENOSPC: no space left on device, write',
    failureCode: 'ENOSPC',
  });
  assert.deepEqual(
    status.snapshot().problems.map((p) => p.id),
    ['settings-unwritable'],
  );
  // Another failure (no errno the settings problem explains) is still one of its own.
  reducer.apply({ ...failed, failure: 'boom' });
  assert.ok(status.hasProblem('pass-failed'));
  // And a settings-disk errno while the settings folder is writable (another disk's) too.
  status.clear('settings-unwritable');
  reducer.apply({ ...failed, failure: 'EIO: i/o error, read', failureCode: 'EIO' });
  assert.ok(status.hasProblem('pass-failed'));
});

test('the hub checks report, the reducer shows: a disk or source problem stays while reported and clears when healed, leaving the other family and the site problem alone', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  const disk = (path: string) => diskNearlyFull(path, `The disk holding ${path} is 95% full`);
  const silent = {
    id: 'source-silent:camera',
    code: 'source-silent' as const,
    severity: 'attention' as const,
    tab: 'status' as const,
    message: 'No file from camera for 3 h',
  };
  reducer.apply({ type: 'disks-measured', disks: [], problems: [disk('/a'), disk('/b')] });
  reducer.apply({ type: 'sources-learnt', sources: [], problems: [silent] });
  reducer.apply({
    type: 'site-checked',
    problem: {
      id: 'site-placeholder',
      code: 'site-placeholder',
      severity: 'attention',
      tab: 'settings',
      message: 'Site: still the image’s placeholder',
    },
  });
  const ids = (): string[] => problemIds(status);
  assert.deepEqual(ids(), [
    'disk-nearly-full:/a',
    'disk-nearly-full:/b',
    'site-placeholder',
    'source-silent:camera',
  ]);
  reducer.apply({ type: 'disks-measured', disks: [], problems: [disk('/b')] });
  assert.deepEqual(ids(), ['disk-nearly-full:/b', 'site-placeholder', 'source-silent:camera']);
  reducer.apply({ type: 'sources-learnt', sources: [], problems: [] });
  reducer.apply({ type: 'site-checked', problem: null });
  assert.deepEqual(ids(), ['disk-nearly-full:/b']);
});

test('the last daemon’s word on a revoked connection is shown by a stopped engine as not connected', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  reducer.apply({ type: 'leg-reached', leg: 'upload', atMs: clock.now() });
  assert.equal(status.current.dropbox.connected, true);
  reducer.apply({
    type: 'last-daemons-word',
    problem: {
      id: 'auth-revoked',
      code: 'auth-revoked',
      severity: 'error',
      tab: 'settings',
      message: 'Dropbox access was revoked: reconnect RDL Sync to Dropbox',
    },
  });
  assert.equal(status.current.dropbox.connected, false);
  assert.deepEqual(
    status.snapshot().problems.map((p) => [p.id, p.severity]),
    [['auth-revoked', 'error']],
  );
});

test('"offline too long" names the archive copy that goes on as what it is, and none when it is off', () => {
  const said = (archive: { enabled: boolean; isCard: boolean; blocked?: SyncError }): string => {
    const clock = handClock();
    const status = new StatusModel(() => clock.now());
    const reducer = new StatusReducer(status, clock, () => ALERT_MS);
    reducer.apply({
      type: 'pipeline-built',
      remoteMissing: null,
      dropboxConnected: true,
      archiveEnabled: archive.enabled,
      archiveDir: '/home/pi/SHELF3/logging-folder/4_synced',
      archiveIsCard: archive.isCard,
    });
    for (let i = 0; i < 2; i++) {
      reducer.apply({
        type: 'pass-ended',
        blocked: { upload: unreachable, archive: archive.blocked ?? null },
        pending: 4,
        aborted: false,
      });
      clock.mono += ALERT_MS;
    }
    const offline = status.snapshot().problems.find((p) => p.id === 'offline');
    assert.ok(offline);
    return offline.message;
  };
  // A hub's archive is 4_synced on the card it runs from: no SD card to speak of.
  const folder = said({ enabled: true, isCard: false });
  assert.match(folder, /4 files are waiting safely, and the copy to the archive folder continues$/);
  assert.doesNotMatch(folder, /SD/);
  assert.match(said({ enabled: true, isCard: true }), /, and the copy to the SD card continues$/);
  const off = said({ enabled: false, isCard: false });
  assert.match(off, /4 files are waiting safely$/);
  assert.doesNotMatch(off, /archive|SD|card/, 'no copy goes on when the archive is off');
  // The archive folder gone too: its own problem says so, and no copy goes on.
  const gone = archiveMissing(
    { root: '/home/pi/SHELF3/logging-folder/4_synced', card: false },
    'absent',
  );
  const both = said({ enabled: true, isCard: false, blocked: gone });
  assert.match(both, /4 files are waiting safely$/);
  assert.doesNotMatch(both, /continues/);
});

test('Dropbox’s own verdicts (access revoked, Dropbox full) stay through an outage: a pass that heard nothing clears neither; an answer or a reconnect does', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  const passEnded = (upload: SyncError | null): void =>
    reducer.apply({
      type: 'pass-ended',
      blocked: { upload, archive: null },
      pending: 2,
      aborted: false,
    });
  const full = new SyncError({ kind: 'blocked', code: 'quota-full', message: 'Dropbox is full' });
  const revoked = new SyncError({ kind: 'blocked', code: 'auth-revoked', message: 'revoked' });
  const outage = new SyncError({ kind: 'retry', code: 'server-error', message: '503' });
  const clockNotSet = new SyncError({
    kind: 'blocked',
    code: 'clock-not-set',
    message: 'The clock reads 1970-01-03 00:00 UTC, so it has not been set yet',
  });

  passEnded(full);
  for (const down of [unreachable, outage]) passEnded(down);
  assert.equal(status.hasProblem('quota-full'), true, 'offline says nothing of the quota');
  assert.equal(status.snapshot().state, 'error');
  // Blocked before asking Dropbox anything (the clock not set): no answer, nothing lifted.
  passEnded(clockNotSet);
  assert.equal(status.hasProblem('quota-full'), true, 'a clock not set says nothing of the quota');
  passEnded(null);
  assert.equal(status.hasProblem('quota-full'), true, 'nor does a pass with nothing to upload');
  reducer.apply({ type: 'leg-reached', leg: 'upload', atMs: clock.now() });
  passEnded(null);
  assert.equal(status.hasProblem('quota-full'), false, 'an answer clears it');

  passEnded(revoked);
  passEnded(unreachable);
  assert.equal(status.hasProblem('auth-revoked'), true);
  const built = {
    type: 'pipeline-built',
    remoteMissing: null,
    dropboxConnected: true,
    archiveEnabled: true,
    archiveDir: '/media/card',
    archiveIsCard: true,
  } as const;
  reducer.apply(built); // a settings save: no new connection
  assert.equal(status.hasProblem('auth-revoked'), true);
  reducer.apply({ ...built, connectionSaved: true });
  assert.equal(status.hasProblem('auth-revoked'), false, 'a reconnect answers it');
  assert.equal(status.snapshot().state, 'offline');
});

// A full card was said twice, "archive full" and "disk nearly full", raised and resolved together:
// two alerts for one card (unattended-hub trial). The card's disk is said by the archive's own
// problem while it stands; a disk shared with the watch or transit folder keeps its own.
test('a full card is said once, by the archive: its disk alone is not also "nearly full"; a shared disk still is', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  const card = {
    roles: ['archive' as const],
    path: '/media/card',
    freeBytes: 0,
    totalBytes: 1e9,
    usedPercent: 100,
    transitBytes: null,
  };
  const hub = { ...card, roles: ['watch' as const, 'transit' as const], path: '/home/pi' };
  const nearlyFull = (path: string) => diskNearlyFull(path, `The disk holding ${path} is full`);
  const measured = () =>
    reducer.apply({
      type: 'disks-measured',
      disks: [card, hub],
      problems: [nearlyFull('/media/card'), nearlyFull('/home/pi')],
    });
  const full = new SyncError({
    kind: 'blocked',
    code: 'archive-full',
    message: 'SD card at /media/card is full: swap the card; files wait safely in transit',
  });
  const ids = (): string[] => problemIds(status);

  // The disk check first (nearly full before the card refuses a file), then the card full.
  measured();
  assert.deepEqual(ids(), ['disk-nearly-full:/home/pi', 'disk-nearly-full:/media/card']);
  reducer.apply({
    type: 'pass-ended',
    blocked: { upload: null, archive: full },
    pending: 3,
    aborted: false,
  });
  assert.deepEqual(ids(), ['archive-full', 'disk-nearly-full:/home/pi']);
  // Measured again while the card is full: not raised again beside it.
  measured();
  assert.deepEqual(ids(), ['archive-full', 'disk-nearly-full:/home/pi']);
  // The card swapped: the archive's problem goes, and a disk still nearly full is said again.
  reducer.apply({
    type: 'pass-ended',
    blocked: { upload: null, archive: null },
    pending: 0,
    aborted: false,
  });
  measured();
  assert.deepEqual(ids(), ['disk-nearly-full:/home/pi', 'disk-nearly-full:/media/card']);
});

test("a card found at a pass's second look is no longer said missing; full or read-only wait for the pass's end", () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  const card = { present: true, writable: true, freeBytes: 1e9, totalBytes: 2e9 };
  reducer.apply({ type: 'pass-begun' });
  reducer.apply({ type: 'leg-blocked', leg: 'archive', error: missing });
  assert.deepEqual(problemIds(status), ['archive-missing'], 'told at once');
  // The card put back while a long upload holds the pass: a tick looks at it again.
  reducer.apply({ type: 'leg-checked', leg: 'archive', problem: null, card });
  assert.deepEqual(problemIds(status), [], 'gone as the card copies again, not at the end');
  assert.equal(status.snapshot().archive.present, true);

  const full = new SyncError({
    kind: 'blocked',
    code: 'archive-full',
    message: 'SD card at /media/card is full: swap it; files wait safely in transit',
  });
  reducer.apply({ type: 'leg-blocked', leg: 'archive', error: full });
  // (A full card's check passes while a small file still fits: only a copy tells.)
  reducer.apply({ type: 'leg-checked', leg: 'archive', problem: null, card });
  assert.deepEqual(problemIds(status), ['archive-full']);

  // Its work folder refusing copies: the look (its root writable) cannot tell, so it stays.
  const readOnly = new SyncError({
    kind: 'blocked',
    code: 'archive-readonly',
    message: 'SD card at /media/card refuses copies into its work folder (EACCES)',
  });
  reducer.apply({ type: 'leg-blocked', leg: 'archive', error: readOnly });
  reducer.apply({ type: 'leg-checked', leg: 'archive', problem: null, card });
  // One problem at a time, as the pass's end leaves it: the copy's latest word replaces "full".
  assert.deepEqual(problemIds(status), ['archive-readonly']);
});

test('a card found missing or read-only by a copy is shown so, not as the last look saw it', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  const card = { present: true, writable: true, freeBytes: 1e9, totalBytes: 2e9 };
  reducer.apply({ type: 'pass-begun' });
  reducer.apply({ type: 'leg-checked', leg: 'archive', problem: null, card });
  // Pulled after the pass's look, found by a copy: "present, 1 GB free" beside "not mounted".
  reducer.apply({ type: 'leg-blocked', leg: 'archive', error: missing });
  const pulled = status.snapshot().archive;
  assert.deepEqual(
    [pulled.present, pulled.writable, pulled.freeBytes, pulled.totalBytes],
    [false, false, null, null],
  );
  reducer.apply({ type: 'leg-checked', leg: 'archive', problem: null, card });
  const readOnly = new SyncError({
    kind: 'blocked',
    code: 'archive-readonly',
    message: 'SD card at /media/card is read-only: check its lock switch',
  });
  reducer.apply({ type: 'leg-blocked', leg: 'archive', error: readOnly });
  const locked = status.snapshot().archive;
  assert.deepEqual([locked.present, locked.writable, locked.freeBytes], [true, false, 1e9]);
});

test('a card that does not answer is told apart from one that is out, at a look and at a copy, and for as long as it hangs', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  const place = { root: '/media/card', card: true };
  const out = { present: false, writable: false, freeBytes: null, totalBytes: null };
  const hung = archiveMissing(place, 'stopped-answering', undefined, undefined, 3 * 86_400_000);
  // "for 3 days", not "for 4320 min".
  assert.match(hung.message, /^SD card at \/media\/card has not answered for 3 days: a call/);
  reducer.apply({ type: 'leg-checked', leg: 'archive', problem: hung, card: out });
  assert.equal(status.snapshot().archive.notAnswering, true);
  // Out of its reader: not "not answering".
  const absent = archiveMissing(place, 'not-mounted');
  reducer.apply({ type: 'leg-checked', leg: 'archive', problem: absent, card: out });
  assert.equal(status.snapshot().archive.notAnswering, false);
  // Found by a copy: a driver gone (ENOTCONN) is a card that does not answer.
  const card = { present: true, writable: true, freeBytes: 1e9, totalBytes: 2e9 };
  reducer.apply({ type: 'leg-checked', leg: 'archive', problem: null, card });
  const gone = Object.assign(new Error('gone'), { code: 'ENOTCONN' });
  reducer.apply({
    type: 'leg-blocked',
    leg: 'archive',
    error: archiveMissing(place, 'not-answering', gone),
  });
  const a = status.snapshot().archive;
  assert.deepEqual([a.present, a.notAnswering], [false, true]);
  reducer.apply({ type: 'leg-checked', leg: 'archive', problem: null, card });
  assert.equal(status.snapshot().archive.notAnswering, false);
  // Said of that folder only: another one chosen in the settings is not "not answering".
  const built = { type: 'pipeline-built', remoteMissing: null, dropboxConnected: true } as const;
  reducer.apply({ ...built, archiveEnabled: true, archiveDir: '/media/card', archiveIsCard: true });
  reducer.apply({ type: 'leg-checked', leg: 'archive', problem: hung, card: out });
  reducer.apply({ ...built, archiveEnabled: true, archiveDir: '/media/card', archiveIsCard: true });
  assert.equal(status.snapshot().archive.notAnswering, true, 'the same folder: still said');
  reducer.apply({
    ...built,
    archiveEnabled: true,
    archiveDir: '/media/other',
    archiveIsCard: true,
  });
  assert.equal(status.snapshot().archive.notAnswering, false);
});

test("the card's free space is the latest measure of its disk, not the pass's first look", () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  const card = { present: true, writable: true, freeBytes: 14e6, totalBytes: 21e6 };
  reducer.apply({ type: 'leg-checked', leg: 'archive', problem: null, card });
  // 40 files copied since: "SD card: 14 MB free" beside "Disk (archive): 9.3 MB free".
  const measured = (roles: ('watch' | 'transit' | 'archive')[], freeBytes: number) =>
    reducer.apply({
      type: 'disks-measured',
      disks: [
        {
          roles,
          path: '/media/card',
          freeBytes,
          totalBytes: 21e6,
          usedPercent: 56,
          transitBytes: null,
        },
      ],
      problems: [],
    });
  measured(['archive'], 9.3e6);
  assert.equal(status.snapshot().archive.freeBytes, 9.3e6);
  measured(['watch'], 1e6);
  assert.equal(status.snapshot().archive.freeBytes, 9.3e6, 'another disk says nothing of it');
  reducer.apply({ type: 'leg-blocked', leg: 'archive', error: missing });
  measured(['archive'], 5e6);
  assert.equal(status.snapshot().archive.freeBytes, null, 'a card away has no free space');
});

test('one archive problem replaced by another is one change: no snapshot in between shows the archive without a problem (the alerts read that as healed)', () => {
  const clock = handClock();
  const status = new StatusModel(() => clock.now());
  const reducer = new StatusReducer(status, clock, () => ALERT_MS);
  const full = new SyncError({
    kind: 'blocked',
    code: 'archive-full',
    message: 'SD card at /media/card is full: swap it; files wait safely in transit',
  });
  const seen: string[][] = [];
  status.onChange((s) =>
    seen.push(s.problems.map((p) => p.id).filter((id) => id.startsWith('archive-'))),
  );
  const passEnded = (archive: SyncError | null): void =>
    reducer.apply({ type: 'pass-ended', blocked: { archive }, pending: 2, aborted: false });
  passEnded(full);
  passEnded(missing);
  // A look outside a pass (a probe) finding it full again, then a copy finding it gone.
  reducer.apply({
    type: 'probed',
    card: { problem: full },
    transit: 2,
    pending: {},
    watch: null,
    failing: [],
  });
  reducer.apply({ type: 'leg-blocked', leg: 'archive', error: missing });
  assert.deepEqual(
    seen.filter((ids) => ids.length !== 1),
    [],
    `every change shows one archive problem: ${JSON.stringify(seen)}`,
  );
  assert.deepEqual(problemIds(status), ['archive-missing']);
});
