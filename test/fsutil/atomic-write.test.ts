// The one atomic replace of a state file (journal, history, credentials, status.json), on real files.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { atomicWriteFile } from '../../src/engine/fsutil/index.js';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-atomic-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

test('a torn temporary left by a crash is replaced; the file is 0600 and nothing else stays', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'credentials.json');
  await fs.writeFile(`${file}.tmp`, '{"refresh', { mode: 0o644 });
  await atomicWriteFile(file, '{"refreshToken":"x"}');
  assert.equal(await fs.readFile(file, 'utf8'), '{"refreshToken":"x"}');
  assert.equal((await fs.stat(file)).mode & 0o777, 0o600, 'the leftover’s looser mode is not kept');
  assert.deepEqual(await fs.readdir(dir), ['credentials.json']);
});

test('a temporary that is a link is never followed', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'journal.json');
  const victim = path.join(dir, 'victim.txt');
  await fs.writeFile(victim, 'keep me');
  await fs.symlink(victim, `${file}.tmp`);
  await atomicWriteFile(file, '{"version":1}', { mode: 0o640 });
  assert.equal(await fs.readFile(victim, 'utf8'), 'keep me');
  assert.equal(await fs.readFile(file, 'utf8'), '{"version":1}');
  assert.equal((await fs.stat(file)).mode & 0o777, 0o640);
  assert.deepEqual((await fs.readdir(dir)).sort(), ['journal.json', 'victim.txt']);
});

test('overlapping writes of one file in one process land whole, in the order they were made', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'status.json');
  // Sizes from 512 bytes to 1 MiB, so a write that shared another's temporary would show as a mix.
  const bodies = Array.from({ length: 12 }, (_, i) => String(i % 10).repeat(2 ** (i + 9)));
  const results = await Promise.allSettled(
    bodies.map((b, i) => atomicWriteFile(file, b, { durable: i % 2 === 0 })),
  );
  assert.deepEqual(
    results.map((r) => r.status),
    bodies.map(() => 'fulfilled'),
  );
  assert.equal(await fs.readFile(file, 'utf8'), bodies.at(-1));
  assert.deepEqual(await fs.readdir(dir), ['status.json']);
});

test('a write that cannot land throws, leaves what was there and no temporary', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'history.jsonl');
  await fs.mkdir(path.join(file, 'in-the-way'), { recursive: true });
  await assert.rejects(atomicWriteFile(file, 'x\n'), (e: NodeJS.ErrnoException) =>
    ['EISDIR', 'ENOTEMPTY', 'EEXIST'].includes(e.code ?? ''),
  );
  assert.deepEqual(await fs.readdir(file), ['in-the-way']);
  assert.deepEqual(await fs.readdir(dir), ['history.jsonl']);
  // The queue of that file goes on after a failure.
  await fs.rm(file, { recursive: true });
  await atomicWriteFile(file, 'y\n');
  assert.equal(await fs.readFile(file, 'utf8'), 'y\n');
});

test("a file another process writes too: this process's temporary is its own, never the other's", async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'alerts-state.json');
  // The other writer (the daemon, while `alert digest --send` runs) is midway through its write.
  const theirs = `${file}.tmp-${process.pid + 1}`;
  await fs.writeFile(theirs, '{"digest');
  // The one-writer name is not used either: something in its way does not stop this write.
  await fs.mkdir(`${file}.tmp`);
  await atomicWriteFile(file, '{"digestSentMs":1}', { otherWriters: true });
  assert.equal(await fs.readFile(file, 'utf8'), '{"digestSentMs":1}');
  assert.equal(await fs.readFile(theirs, 'utf8'), '{"digest', 'the other temporary is untouched');
  assert.deepEqual((await fs.readdir(dir)).sort(), [
    path.basename(file),
    `${path.basename(file)}.tmp`,
    path.basename(theirs),
  ]);
});
