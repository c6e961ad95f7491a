// One way a size reads: the engine's sentences, the CLI and the window (through src/shared).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes } from '../../src/engine/format-bytes.js';
import { formatBytes as sharedFormatBytes } from '../../src/shared/format.js';
import { bytes } from '../../src/renderer/format.js';
import { archiveFull } from '../../src/engine/archive/problems.js';

test('decimal units, one decimal below 10, whole numbers above', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(999), '999 B');
  assert.equal(formatBytes(1000), '1.0 kB');
  assert.equal(formatBytes(12_345), '12 kB');
  assert.equal(formatBytes(4_194_304), '4.2 MB', '4 MiB');
  assert.equal(formatBytes(20_000_000), '20 MB');
  assert.equal(formatBytes(83_313_537_024), '83 GB');
  assert.equal(formatBytes(2 * 1024 ** 4), '2.2 TB', '2 TiB');
});

test('a figure that rounds up to 1000 moves to the next unit', () => {
  assert.equal(formatBytes(999_600), '1.0 MB');
  assert.equal(formatBytes(9_960), '10 kB', 'not "10.0 kB"');
  assert.equal(formatBytes(999.6), '1.0 kB');
});

test('unknown figures say so, in the words of whoever shows them', () => {
  assert.equal(formatBytes(null), 'unknown');
  assert.equal(formatBytes(undefined), 'unknown');
  assert.equal(formatBytes(Number.NaN, '—'), '—');
  assert.equal(bytes(null), '—', 'the window shows a dash');
  assert.equal(formatBytes(-1_500), '-1.5 kB');
});

test('the engine’s sentences and the window read a size the same way', () => {
  assert.equal(sharedFormatBytes, formatBytes, 'src/shared hands on the engine’s one formatter');
  for (const n of [0, 512, 4_194_304, 25_060_966, 83_313_537_024])
    assert.equal(bytes(n), formatBytes(n));
  assert.match(
    archiveFull({ root: '/media/card', card: true }, 25_060_966, { file: 28_000_000 }).message,
    /\(25 MB free, 28 MB needed\)/,
  );
  // With the margin RDL Sync keeps free: how much of the need is which (a 60 kB file read as
  // "1.1 MB free, 1.1 MB needed").
  assert.match(
    archiveFull({ root: '/media/card', card: true }, 1_100_000, {
      file: 61_440 + 1_048_576,
      margin: 1_048_576,
    }).message,
    /is full \(1\.1 MB free, 1\.1 MB needed: 61 kB for the file and the 1\.0 MB RDL Sync keeps free\): free space or swap the card/,
  );
});
