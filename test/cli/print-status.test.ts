// `rdl-sync status` in words: the status model's real snapshot through the CLI's printer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StatusModel } from '../../src/engine/status/model.js';
import { printStatus } from '../../src/cli/print-status.js';
import { formatTime } from '../../src/cli/duration.js';

function printed(model: StatusModel): string {
  const lines: string[] = [];
  printStatus(model.snapshot(), (l) => lines.push(l));
  return lines.join('\n');
}

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
  model.raise({
    id: 'file-failing:RDL/USB0/a.csv',
    code: 'file-unreadable',
    severity: 'attention',
    tab: 'transfers',
    message: 'RDL/USB0/a.csv failed 3 times: check its permissions. Other files are not affected',
  });
  const text = printed(model);
  assert.match(text, hint, text);
  assert.equal(text.match(/rdl-sync sync/g)?.length, 1, 'said once, after the problems');
  assert.match(text, /Other files are not affected\n {2}Once the cause is fixed/);
});
