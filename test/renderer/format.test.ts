// How spans of time and sizes read in the window (the Disks and Sources rows use these).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bytes, duration, relativeTime } from '../../src/renderer/format.js';
import { formatDuration } from '../../src/shared/format.js';

test('durations read as a person says them', () => {
  assert.equal(duration(null), '—');
  assert.equal(duration(45_000), '45 s');
  assert.equal(duration(15 * 60_000), '15 min');
  assert.equal(duration(60 * 60_000), '60 min');
  assert.equal(duration(3 * 3_600_000), '3 h');
  assert.equal(duration(2.5 * 3_600_000), '2.5 h');
  assert.equal(duration(3 * 86_400_000), '3 days');
  assert.equal(duration(-5), '0 s', 'a clock step never shows a negative span');
  // The engine's sentences and the CLI read spans through the same function as the window.
  assert.equal(formatDuration(20_000), '20 s', 'a fast source is not "every 0 min"');
  assert.equal(formatDuration(100 * 60_000), '1.7 h');
  assert.equal(formatDuration(36 * 3_600_000), '1.5 days');
  assert.equal(formatDuration(12 * 86_400_000), '12 days');
});

test('relative times and sizes used by the status rows', () => {
  const now = Date.parse('2026-12-01T12:00:00Z');
  assert.equal(relativeTime(now - 10_000, now), 'just now');
  assert.equal(relativeTime(now - 6 * 3_600_000, now), '6 h ago');
  assert.equal(bytes(83_313_537_024), '83 GB');
  assert.equal(bytes(4_194_304), '4.2 MB');
});
