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
