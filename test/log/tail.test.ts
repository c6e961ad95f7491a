import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tailLog } from '../../src/engine/log/tail.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-tail-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('returns the last N lines, in order, across read blocks', async (t) => {
  const file = path.join(tempDir(t), 'big.log');
  const out = fs.createWriteStream(file);
  // ~2.4 MB: many 64 KiB blocks, so the answer must come from reading backwards.
  for (let i = 0; i < 30_000; i++) out.write(`line ${i} ${'é'.repeat(30)}\n`);
  await new Promise<void>((resolve) => out.end(resolve));
  const last = await tailLog(file, 5000);
  assert.equal(last.length, 5000);
  assert.equal(last[0], `line 25000 ${'é'.repeat(30)}`);
  assert.equal(last.at(-1), `line 29999 ${'é'.repeat(30)}`);
  const before = process.memoryUsage().arrayBuffers;
  await tailLog(file, 3);
  assert.ok(
    process.memoryUsage().arrayBuffers - before < 1_000_000,
    'does not load the whole file',
  );
});

test('short files, no trailing newline, missing files', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'a.log');
  fs.writeFileSync(file, 'one\r\ntwo\nthree');
  assert.deepEqual(await tailLog(file, 10), ['one', 'two', 'three']);
  assert.deepEqual(await tailLog(file, 2), ['two', 'three']);
  assert.deepEqual(await tailLog(file, 0), []);
  fs.writeFileSync(file, '');
  assert.deepEqual(await tailLog(file, 3), []);
  assert.deepEqual(await tailLog(path.join(dir, 'none.log'), 3), []);
});
