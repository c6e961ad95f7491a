// The durations `pause --for` and `sync --wait` take.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDuration } from '../../src/cli/duration.js';

test('a duration in one unit, in several (1h30m, as systemd writes them), or a bare number of minutes', () => {
  const min = 60_000;
  const cases: [string, number][] = [
    ['90s', 90_000],
    ['30m', 30 * min],
    ['2d', 2 * 24 * 60 * min],
    ['1h30m', 90 * min],
    ['1 h 30 min', 90 * min],
    ['2days 12hours', 60 * 60 * min],
    ['1.5h', 90 * min],
    ['5', 5 * min],
    ['1.5', 90_000],
    ['0', 0],
  ];
  for (const [text, ms] of cases) assert.equal(parseDuration(text), ms, text);
});

test('anything else is refused naming the forms that work: an unknown unit, a number left without one, a word', () => {
  for (const text of ['10ms', '1h30', 'soon', 'h', '', '--config-dir', '30x', '1h 2x', '-5m']) {
    assert.throws(
      () => parseDuration(text),
      new RegExp(
        `^Error: "${text.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&')}" is not a duration: use for example 30m, 1h, 1h30m or 2d \\(a bare number is minutes\\)$`,
      ),
      text,
    );
  }
});
