// `rdl-sync status` in words: the status model's real snapshot through the CLI's printer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusModel } from '../../src/engine/status/model.js';
import { printStatus, whoSyncs } from '../../src/cli/print-status.js';
import { formatTime } from '../../src/cli/duration.js';

/** What `rdl-sync status` prints of the model's snapshot; `how`: printStatus's third argument. */
function printed(model: StatusModel, how?: Parameters<typeof printStatus>[2]): string {
  const lines: string[] = [];
  printStatus(model.snapshot(), (l) => lines.push(l), how);
  return lines.join('\n');
}

/** A file failing 3 times on a permission: a problem a person can fix, then have tried again. */
const UNREADABLE_FAILING = {
  id: 'file-failing:RDL/USB0/a.csv',
  code: 'file-unreadable',
  severity: 'attention',
  tab: 'transfers',
  message: 'RDL/USB0/a.csv failed 3 times: check its permissions. Other files are not affected',
} as const;

test('"Next pass" says a pass is running now while one runs (the next is armed only when it ends)', () => {
  const now = Date.UTC(2026, 11, 2, 12, 0);
  const model = new StatusModel(() => now);
  const next = now + 3_600_000;
  model.update({ passRunning: false, nextPassMs: next });
  const armed = printed(model);
  assert.ok(armed.includes(`Next pass: ${formatTime(next)}`), armed);
  // The scheduler clears the next time while its pass runs: "never" would say none is coming.
  model.update({ passRunning: true, nextPassMs: null });
  assert.match(printed(model), /Next pass: running now/);
  model.update({ passRunning: false, nextPassMs: null });
  assert.match(printed(model), /Next pass: never/);
});

test('a source that delivers every 20 s reads "20 s", not "0 min"; a slow one in hours', () => {
  const now = Date.UTC(2026, 11, 2, 12, 0);
  const model = new StatusModel(() => now);
  const source = (name: string, usualIntervalMs: number) => ({
    source: name,
    lastFileMs: now - 5_000,
    lastFileRel: `${name}/a.csv`,
    usualIntervalMs,
    silentAfterMs: usualIntervalMs * 3,
    silent: false,
  });
  model.update({ sources: [source('RDL/USB0', 20_000), source('cameras/ir', 6 * 3_600_000)] });
  const text = printed(model);
  assert.match(text, /Source RDL\/USB0: .*usual interval 20 s/, text);
  assert.match(text, /Source cameras\/ir: .*usual interval 6 h/, text);
  assert.doesNotMatch(text, /0 min/);
});

test('the archive is named as what it is: a folder as "Archive", a card or an older status.json (no card field) as "SD card"', () => {
  const now = Date.UTC(2026, 11, 2, 12, 0);
  const model = new StatusModel(() => now);
  const archive = (card: boolean | undefined) => ({
    enabled: true,
    path: '/home/pi/SHELF3/logging-folder/4_synced',
    card,
    present: true,
    writable: true,
    freeBytes: 20e9,
    totalBytes: 32e9,
  });
  model.update({ archive: archive(false) });
  const folder = printed(model);
  assert.match(folder, /^Archive: \/home\/pi\/SHELF3\/logging-folder\/4_synced — present/m);
  assert.match(folder, /archive pending 0/);
  assert.doesNotMatch(folder, /SD card/);
  model.update({ archive: archive(true) });
  assert.match(printed(model), /^SD card: \/home\/pi\/.* — present/m);
  // A status.json written by the version before this field: it only knew cards.
  const { card: _absent, ...older } = archive(undefined);
  const lines: string[] = [];
  printStatus({ ...model.snapshot(), archive: older }, (l) => lines.push(l));
  assert.match(lines.join('\n'), /^SD card: \/home\/pi\/.* — present/m);
  assert.match(lines.join('\n'), /SD card pending 0/);
});

test('beside a failing file a person can fix, how to have it tried again now; not beside a file held cut short', () => {
  const now = Date.UTC(2026, 11, 2, 12, 0);
  const model = new StatusModel(() => now);
  const hint =
    /^ {2}Once the cause is fixed, `rdl-sync sync` on the hub .* at most an hour later\.$/m;
  assert.doesNotMatch(printed(model), /rdl-sync sync/);
  model.raise({
    id: 'file-failing:RDL/USB0/b.csv',
    code: 'file-cut-short',
    severity: 'attention',
    tab: 'transfers',
    message: 'RDL/USB0/b.csv in transit is 2 KB where it was 4 KB …',
  });
  assert.doesNotMatch(printed(model), /rdl-sync sync/, 'a file held for a person');
  model.raise(UNREADABLE_FAILING);
  const text = printed(model);
  assert.match(text, hint, text);
  assert.equal(text.match(/rdl-sync sync/g)?.length, 1, 'said once, after the problems');
  assert.match(text, /Other files are not affected\n {2}Once the cause is fixed/);
});

test('where nothing runs on (after a `once`, no service), the try again line promises no try that comes by itself', () => {
  const now = Date.UTC(2026, 11, 2, 12, 0);
  const model = new StatusModel(() => now);
  model.raise(UNREADABLE_FAILING);
  for (const how of [{ offline: { lastContactMs: null } }, { runsOn: false }]) {
    const text = printed(model, how);
    assert.doesNotMatch(text, /comes by itself/, text);
    assert.match(
      text,
      /^ {2}Once the cause is fixed, `rdl-sync sync` tries again at once \(a plain `rdl-sync once` may leave a failing file until its next try is due, at most an hour after the last\)\.$/m,
      text,
    );
  }
  assert.match(printed(model, {}), /comes by itself, at most an hour later/, 'a service runs on');
});

test('"Next pass" while paused says none comes until the pause ends; with nothing running, none', () => {
  const now = Date.UTC(2026, 11, 2, 12, 0);
  const model = new StatusModel(() => now);
  const armed = now + 60_000;
  model.update({ passRunning: false, nextPassMs: armed, paused: true, pausedUntilMs: null });
  assert.match(printed(model), /Next pass: none while paused \(until someone resumes it\)$/m);
  const until = now + 2 * 3_600_000;
  model.update({ pausedUntilMs: until });
  const text = printed(model);
  assert.ok(text.includes(`Next pass: none while paused (until ${formatTime(until)})`), text);
  assert.ok(!text.includes(formatTime(armed)), 'the skipped pass is not promised');
  // A pass asked for while paused runs, and is said to.
  model.update({ passRunning: true, nextPassMs: null });
  assert.match(printed(model), /Next pass: running now/);
  // Between the passes of a `once` (a file settling): it ends by itself, no next pass comes.
  model.update({ passRunning: false, paused: false, pausedUntilMs: null, nextPassMs: null });
  assert.match(
    printed(model, { runsOn: false }),
    /Next pass: none after this command \(it ends by itself\)$/m,
  );
  model.update({ passRunning: false, paused: false, pausedUntilMs: null, nextPassMs: armed });
  assert.match(
    printed(model, { offline: { lastContactMs: null } }),
    /Next pass: none \(nothing runs\)$/m,
  );
});

test('who syncs: a `once` or a `sync` without a daemon (both hold the lock as "once") is said to end by itself', () => {
  const line = whoSyncs({ pid: 4321, role: 'once' });
  assert.equal(
    line,
    'An `rdl-sync once` or `sync` is running its one pass (pid 4321); it ends by itself.',
  );
  assert.match(
    whoSyncs({ pid: 7, role: 'service' }),
    /^Daemon running \(pid 7, the rdl-sync service\)\.$/,
  );
});

// Two files failing before they count as a problem, with another problem heading the status:
// "Failing: 2" named neither file nor why (the sentence names it only when all is otherwise idle).
test('a file failing now is named with its reason when neither the sentence nor a problem names it', () => {
  const m = new StatusModel(() => 1_000);
  m.update({
    counts: { ...m.current.counts, failed: 2, transit: 2 },
    failing: { rel: 'blocker/x.csv', message: 'a file is where a folder should be: blocker.' },
  });
  m.raise({
    id: 'source-silent:RDL/USB0',
    code: 'source-silent',
    severity: 'attention',
    message: 'No new file from RDL/USB0 for 3 h',
    tab: 'status',
  });
  const out = printed(m);
  assert.match(
    out,
    /^ {2}Failing now: blocker\/x\.csv \(and 1 more\): a file is where a folder should be: blocker\. Once the cause is fixed, `rdl-sync sync` on the hub .* tries again at once; otherwise the next try comes by itself/m,
  );
  // Named by the idle sentence: not twice.
  m.clear('source-silent:RDL/USB0');
  assert.doesNotMatch(printed(m), /Failing now/);
  m.dispose();
});

// Found by an operator trial: a settings file that is not JSON, and status showed the defaults'
// "0 waiting", "no archive folder set yet" and "Dropbox: not connected" as the hub's, while six
// files waited, the archive was a local folder and the login was valid.
test('settings that cannot be used: the counts, the archive and Dropbox are said not known, not the defaults’', () => {
  const model = new StatusModel(() => Date.UTC(2026, 11, 2, 12, 0));
  model.raise({
    id: 'settings-invalid',
    code: 'settings-invalid',
    severity: 'error',
    tab: 'settings',
    message: 'Settings need fixing: The settings file /x/config.json is not valid JSON (…)',
  });
  const text = printed(model, { offline: { lastContactMs: null } });
  assert.match(
    text,
    /^Files waiting, the archive and Dropbox: not known while the settings cannot be used/m,
  );
  assert.doesNotMatch(
    text,
    /Waiting in watch folder|no archive folder set yet|Dropbox: not connected/,
  );
  assert.match(text, /^! Settings need fixing: /m);
  // A new install (nothing set up yet) still shows what there is.
  const fresh = new StatusModel(() => Date.UTC(2026, 11, 2, 12, 0));
  fresh.raise({
    id: 'settings-invalid',
    code: 'setup-needed',
    severity: 'attention',
    tab: 'settings',
    message: 'RDL Sync is not set up yet',
  });
  assert.match(
    printed(fresh, { offline: { lastContactMs: null } }),
    /^Waiting in watch folder: 0/m,
  );
});

test('a "Resolved" held by the alerts\' repeat guard is said, with when it is due: a healthy status hid that one was still to come', () => {
  const now = Date.UTC(2026, 11, 6, 10, 45);
  const model = new StatusModel(() => now);
  assert.doesNotMatch(printed(model), /held by the repeat guard/);
  const went = Date.UTC(2026, 11, 6, 10, 42, 55);
  model.showResolvedHeld([
    {
      conditionId: 'offline',
      title: 'Dropbox out of reach',
      wentMs: went,
      dueMs: went + 1_800_000,
    },
  ]);
  assert.ok(
    printed(model).includes(
      `Alert "Resolved: Dropbox out of reach" (gone since ${formatTime(went)}) is held by the repeat guard: sent at ${formatTime(went + 1_800_000)} if it stays away (alertFlapMinutes)`,
    ),
    printed(model),
  );
  model.showResolvedHeld([]);
  assert.doesNotMatch(printed(model), /held by the repeat guard/);
  assert.equal(model.snapshot().resolvedHeld, undefined, 'absent when none');
});

/** A status whose SD card /media/CARD is mounted, with these write bits and space. */
function cardAt(card: { writable: boolean; freeBytes: number; totalBytes: number }): StatusModel {
  const model = new StatusModel(() => Date.UTC(2026, 11, 2, 12, 0));
  model.update({
    archive: { enabled: true, path: '/media/CARD', card: true, present: true, ...card },
  });
  return model;
}

test('a read-only card reads "present but read-only" on its own line, as the window says, not only in the problem', () => {
  const model = cardAt({ writable: false, freeBytes: 34e6, totalBytes: 34e6 });
  // Without the problem (a status.json of an older version, say): no promise of one below.
  assert.match(
    printed(model),
    /^SD card: \/media\/CARD — present but read-only, 34 MB free of 34 MB$/m,
  );
  model.raise({
    id: 'archive-readonly',
    code: 'archive-readonly',
    severity: 'attention',
    tab: 'status',
    message: 'The SD card /media/CARD is read-only: check the card’s write-protect switch …',
  });
  const text = printed(model);
  assert.match(
    text,
    /^SD card: \/media\/CARD — present but read-only \(the problem below says what to do\), 34 MB free of 34 MB$/m,
    text,
  );
  assert.doesNotMatch(text, /— present, /);
});

test('a full card reads "present but full" on its own line, as the window says', () => {
  const model = cardAt({ writable: true, freeBytes: 2e6, totalBytes: 8e6 });
  assert.match(printed(model), /^SD card: \/media\/CARD — present, 2.0 MB free of 8.0 MB$/m);
  model.raise({
    id: 'archive-full',
    code: 'archive-full',
    severity: 'attention',
    tab: 'status',
    message: 'The SD card /media/CARD is full (2 MB free, 5 MB needed): free space on it',
  });
  assert.match(
    printed(model),
    /^SD card: \/media\/CARD — present but full: files wait in transit, 2.0 MB free of 8.0 MB$/m,
  );
});
