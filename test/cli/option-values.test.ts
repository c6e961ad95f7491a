import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs } from 'node:util';
import {
  joinOptionValues,
  shieldNegativeNumbers,
  unshieldPositionals,
} from '../../src/cli/option-values.js';

const options = {
  code: { type: 'string' },
  json: { type: 'boolean' },
  'config-dir': { type: 'string', short: 'c' },
} as const;

test('a value option takes the next argument even when it starts with a dash; nothing else changes', () => {
  assert.deepEqual(joinOptionValues(['--code', '-x1', '--json'], options), [
    '--code=-x1',
    '--json',
  ]);
  assert.deepEqual(joinOptionValues(['-c', '-dir'], options), ['-c-dir']);
  // And node's parser reads them as those values.
  const { values } = parseArgs({
    args: joinOptionValues(['--code', '-x1', '-c', '-dir', '--json'], options),
    options,
    strict: true,
  });
  assert.deepEqual({ ...values }, { code: '-x1', 'config-dir': '-dir', json: true });
  // Left alone: values without a dash, --name=value, flags, a trailing option, and after `--`.
  assert.deepEqual(
    joinOptionValues(['--code', 'abc', '--code=-y', '--json', '-z', '--', '--code', '-w'], options),
    ['--code', 'abc', '--code=-y', '--json', '-z', '--', '--code', '-w'],
  );
  assert.deepEqual(joinOptionValues(['--code'], options), ['--code']);
  assert.deepEqual(joinOptionValues(['--code', '--'], options), ['--code', '--']);
});

test('an option left without its value does not take the name of the next option as it', () => {
  // `sync --wait --config-dir D` made "--config-dir" the wait and D a stray word.
  assert.deepEqual(joinOptionValues(['--code', '--config-dir', 'D'], options), [
    '--code',
    '--config-dir',
    'D',
  ]);
  assert.deepEqual(joinOptionValues(['--code', '--json'], options), ['--code', '--json']);
  assert.deepEqual(joinOptionValues(['--code', '--config-dir=D'], options), [
    '--code',
    '--config-dir=D',
  ]);
  assert.deepEqual(joinOptionValues(['--code', '-c'], options), ['--code', '-c']);
  // A value that only looks like an option is still a value.
  assert.deepEqual(joinOptionValues(['--code', '--jsonx'], options), ['--code=--jsonx']);
});

test('a negative number on its own is a positional value through parseArgs; after -- nothing changes', () => {
  const args = shieldNegativeNumbers(['set', 'stableSeconds', '-5', 'x', '-2.5', '-h', '--', '-7']);
  const { positionals, values } = parseArgs({
    args,
    options: { help: { type: 'boolean', short: 'h' } },
    allowPositionals: true,
    strict: true,
  });
  assert.deepEqual(unshieldPositionals(positionals), [
    'set',
    'stableSeconds',
    '-5',
    'x',
    '-2.5',
    '-7',
  ]);
  assert.equal(values.help, true);
  // Not a number: still an option (an unknown one is refused as before).
  assert.deepEqual(shieldNegativeNumbers(['-5x', '-']), ['-5x', '-']);
});
