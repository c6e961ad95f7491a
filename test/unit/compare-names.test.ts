import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareNames } from '../../src/engine/compare-names.js';

test('names sort case-folded first, then by exact code units: total and locale-free', () => {
  const names = ['RDL', 'internet', 'cameras', 'Cameras', 'RDL/USB0', 'rdl', 'Ünï', 'zz'];
  assert.deepEqual([...names].sort(compareNames), [
    'Cameras',
    'cameras',
    'internet',
    'RDL',
    'rdl',
    'RDL/USB0',
    'zz',
    'Ünï',
  ]);
  assert.equal(compareNames('same', 'same'), 0);
  assert.ok(compareNames('a', 'B') < 0 && compareNames('B', 'a') > 0);
});
