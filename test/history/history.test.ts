import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { History } from '../../src/engine/history/index.js';
import { DEFERRED_REWRITE_MARGINS } from '../../src/engine/history/history.js';
import type { Logger } from '../../src/engine/ports.js';
import type { HistoryRecord } from '../../src/engine/status/types.js';
import { canMount, fill, fillToTheByte, smallTmpfs } from '../archive/helpers.js';

function tempFile(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-history-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return path.join(dir, 'history.jsonl');
}

function rec(rel: string, ok = true, at = 1_000): Omit<HistoryRecord, 'id'> {
  return {
    rel,
    size: 42,
    contentHash: ok ? 'c'.repeat(64) : null,
    startedAtMs: at,
    finishedAtMs: at + 5,
    outcome: ok ? 'done' : 'failed',
    upload: ok
      ? {
          status: 'done',
          atMs: at + 3,
          path: `/RDL/s/${rel}`,
          alreadyPresent: false,
          contentHash: 'c'.repeat(64),
        }
      : {
          status: 'failed',
          atMs: at + 3,
          code: 'disallowed-name',
          message: 'Dropbox refuses this name',
        },
    archive: {
      status: 'done',
      atMs: at + 4,
      path: `/media/sd/${rel}`,
      alreadyPresent: false,
      contentHash: 'c'.repeat(64),
    },
  };
}

function lines(file: string): string[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

test('records come back newest first and survive a restart, ids continuing', async (t) => {
  const file = tempFile(t);
  const h = await History.open(file, 1000);
  const a = h.append(rec('USB0/a.csv'));
  const b = h.append(rec('USB0/b.csv', false));
  assert.ok(b.id > a.id);
  assert.deepEqual(
    h.query({}).map((r) => r.rel),
    ['USB0/b.csv', 'USB0/a.csv'],
  );
  await h.close();
  assert.equal(lines(file).length, 2);

  const again = await History.open(file, 1000);
  assert.equal(again.count(), 2);
  assert.deepEqual(again.query({})[1], a);
  const c = again.append(rec('USB0/c.csv'));
  assert.equal(c.id, b.id + 1);
  await again.close();
});

test('filters: failures only, case-insensitive search on rel, paging by id, default limit 100', async (t) => {
  const h = await History.open(tempFile(t), 1000);
  for (let i = 0; i < 250; i++) h.append(rec(`USB${i % 2}/File-${i}.CSV`, i % 5 !== 0));
  assert.equal(h.query({}).length, 100);
  const failures = h.query({ onlyFailures: true, limit: 1000 });
  assert.equal(failures.length, 50);
  assert.ok(failures.every((r) => r.outcome === 'failed'));
  const found = h.query({ search: 'usb1/file-1', limit: 1000 });
  assert.ok(found.length > 0 && found.every((r) => r.rel.toLowerCase().includes('usb1/file-1')));
  const page1 = h.query({ limit: 10 });
  const page2 = h.query({ limit: 10, beforeId: page1.at(-1)!.id });
  assert.equal(page2[0]!.id, page1.at(-1)!.id - 1);
  const all = [...page1, ...page2].map((r) => r.id);
  assert.deepEqual(
    all,
    [...all].sort((x, y) => y - x),
  );
  await h.close();
});

test('stays bounded: memory at the limit, file within the limit plus its margins', async (t) => {
  const file = tempFile(t);
  const limit = 100; // margin: 50
  const h = await History.open(file, limit);
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 50; i++) h.append(rec(`r${round}/f${i}.csv`));
    await h.flush();
    const most = limit + DEFERRED_REWRITE_MARGINS * 50;
    assert.ok(lines(file).length <= most, `round ${round}: ${lines(file).length} lines`);
  }
  assert.equal(h.count(), limit);
  await h.close();
  const again = await History.open(file, limit);
  assert.equal(again.count(), limit);
  assert.equal(again.query({ limit: 1 })[0]!.rel, 'r19/f49.csv');
  again.setLimit(10);
  assert.equal(again.count(), 10);
  await again.close();
  assert.equal(lines(file).length, 10);
});

test('a torn last line after a crash is dropped and the file repaired', async (t) => {
  const file = tempFile(t);
  const h = await History.open(file, 1000);
  h.append(rec('a.csv'));
  h.append(rec('b.csv'));
  await h.close();
  fs.appendFileSync(file, '{"rel":"c.csv","size":4');
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) };
  const again = await History.open(file, 1000, logger);
  assert.deepEqual(
    again.query({}).map((r) => r.rel),
    ['b.csv', 'a.csv'],
  );
  assert.match(warnings.join(), /damaged lines/);
  again.append(rec('d.csv'));
  await again.close();
  const parsed = lines(file).map((l) => JSON.parse(l) as HistoryRecord);
  assert.deepEqual(
    parsed.map((r) => r.rel),
    ['a.csv', 'b.csv', 'd.csv'],
  );
});

test('a block of NULs where records were (a power cut on an SD card): the good records load, and the file as found is kept beside for a person', async (t) => {
  const file = tempFile(t);
  const h = await History.open(file, 1000);
  for (const rel of ['a.csv', 'b.csv', 'c.csv']) h.append(rec(rel));
  await h.close();
  const found = fs.readFileSync(file);
  const second = found.indexOf(0x0a) + 1;
  const third = found.indexOf(0x0a, second) + 1;
  // b.csv's line zeroed in place, its newline with it: it runs into c.csv's line.
  const damaged = Buffer.concat([
    found.subarray(0, second),
    Buffer.alloc(third - second),
    found.subarray(third),
  ]);
  fs.writeFileSync(file, damaged);
  const warnings: string[] = [];
  const logger: Logger = {
    debug() {},
    info() {},
    error() {},
    warn: (m, f) => warnings.push(`${m} ${JSON.stringify(f)}`),
  };
  const again = await History.open(file, 1000, logger);
  assert.deepEqual(
    again.query({}).map((r) => r.rel),
    ['a.csv'],
  );
  assert.match(warnings.join(), /damaged lines.*keptAs/);
  assert.ok(
    fs.readFileSync(`${file}.damaged`).equals(damaged),
    'the damaged file is kept as found',
  );
  await again.close();
  assert.deepEqual(
    lines(file).map((l) => (JSON.parse(l) as HistoryRecord).rel),
    ['a.csv'],
    'the history itself is repaired',
  );
});

test('a bad limit is refused with a clear error', async (t) => {
  await assert.rejects(
    History.open(tempFile(t), 0),
    /History limit must be a whole number of at least 1 \(got 0\)/,
  );
});

test('a record is on disk once flush resolves: it survives a SIGKILL right after (what the pipeline awaits before removing a transit copy)', async (t) => {
  const file = tempFile(t);
  // A real child process appends and flushes; the test kills it the moment it reports a flush.
  const script = `
    import { History } from ${JSON.stringify(path.resolve(import.meta.dirname, '../../src/engine/history/index.ts'))};
    const h = await History.open(process.argv[1], 1000);
    for (let i = 0; ; i++) {
      h.append({ ...${JSON.stringify(rec('x'))}, rel: 'f' + i + '.csv' });
      await h.flush();
      process.stdout.write('f' + i + '.csv\\n');
    }`;
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--input-type=module', '-e', script, file],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const reported: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the child flushed no 25 records in 30 s')),
      30_000,
    );
    let buffer = '';
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      buffer += d;
      const done = buffer.split('\n');
      buffer = done.pop()!;
      reported.push(...done);
      if (reported.length >= 25 && child.exitCode === null) {
        child.kill('SIGKILL'); // no close(), no timer flush: only what flush() wrote
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  if (child.exitCode === null && child.signalCode === null)
    await new Promise<void>((r) => child.once('exit', () => r()));
  assert.equal(child.signalCode, 'SIGKILL');
  const kept = new Set((await History.open(file, 1000)).query({ limit: 10_000 }).map((r) => r.rel));
  const missing = reported.filter((rel) => !kept.has(rel));
  assert.deepEqual(missing, [], `${missing.length} of ${reported.length} flushed records lost`);
});

test('a history file written before the legs were one kind loads unchanged (legs under their ids)', async (t) => {
  // Lines as the previous release wrote them: one record per line, each leg under its id.
  const file = tempFile(t);
  const done = {
    id: 1,
    rel: 'USB0/a.csv',
    size: 12,
    contentHash: 'a'.repeat(64),
    startedAtMs: 1_000,
    finishedAtMs: 2_000,
    outcome: 'done',
    upload: {
      status: 'done',
      atMs: 1_500,
      path: '/RDL/site1/USB0/a.csv',
      alreadyPresent: false,
      contentHash: 'a'.repeat(64),
    },
    archive: {
      status: 'done',
      atMs: 1_600,
      path: '/media/card/USB0/a.csv',
      alreadyPresent: true,
      contentHash: 'a'.repeat(64),
    },
  };
  const failed = {
    ...done,
    id: 2,
    rel: 'USB0/b.csv',
    outcome: 'failed',
    contentHash: null,
    upload: { status: 'failed', atMs: 3_000, code: 'malformed-path', message: 'bad name' },
    archive: { status: 'skipped', atMs: 3_000, reason: 'SD-card archive is turned off' },
  };
  fs.writeFileSync(file, `${JSON.stringify(done)}\n${JSON.stringify(failed)}\n`);
  const h = await History.open(file, 100);
  assert.deepEqual(h.query({}), [failed, done]);
  assert.equal(h.hasRecord('USB0/a.csv', 2_000), true);
  await h.close();
});

test('records handed in and out are copies: changing them, legs included, changes nothing kept', async (t) => {
  const file = tempFile(t);
  const h = await History.open(file, 1000);
  const given = rec('USB0/a.csv');
  const returned = h.append(given);
  given.rel = 'changed/by/caller.csv';
  (given.upload as { path: string }).path = '/changed';
  returned.size = 1;
  (returned.archive as { path: string }).path = '/changed';
  const queried = h.query()[0]!;
  (queried.upload as { atMs: number }).atMs = 0;
  const kept = h.query()[0]!;
  assert.equal(kept.rel, 'USB0/a.csv');
  assert.equal(kept.size, 42);
  assert.deepEqual(kept.upload, rec('USB0/a.csv').upload);
  assert.deepEqual(kept.archive, rec('USB0/a.csv').archive);
  await h.close();
  assert.deepEqual(JSON.parse(lines(file)[0]!), { ...rec('USB0/a.csv'), id: kept.id });
});

test('a full history shows exactly its newest `limit` records while the oldest wait to be dropped together', async (t) => {
  const file = tempFile(t);
  const limit = 100; // margin: 50
  const h = await History.open(file, limit);
  for (let i = 0; i < 400; i++) {
    h.append(rec(`f${i}.csv`, true, i));
    const newest = Math.min(i + 1, limit);
    assert.equal(h.count(), newest, `after ${i + 1} appends`);
    const shown = h.query({ limit: 1_000 });
    assert.equal(shown.length, newest);
    assert.equal(shown[0]!.rel, `f${i}.csv`);
    assert.equal(shown.at(-1)!.rel, `f${i + 1 - newest}.csv`);
    // A record past the limit is no longer part of the history, even before it is dropped.
    if (i >= limit) assert.equal(h.hasRecord(`f${i - limit}.csv`, i - limit + 5), false);
    assert.equal(h.hasRecord(`f${i + 1 - newest}.csv`, i + 1 - newest + 5), true);
  }
  await h.close();
  const again = await History.open(file, limit);
  assert.deepEqual(
    again.query({ limit: 1_000 }).map((r) => r.rel),
    Array.from({ length: limit }, (_, k) => `f${399 - k}.csv`),
  );
});

test("recentArrivals: the newest records within the limit and the history, newest first, without the card's retention deletions", async (t) => {
  const h = await History.open(tempFile(t), 100); // margin: 50
  for (let i = 0; i < 130; i++) {
    const r = rec(`RDL/USB0/f${i}.csv`, true, 1_000 + i);
    h.append(i % 10 === 9 ? { ...r, outcome: 'archive-removed' } : r);
  }
  // The same as reading the newest records and leaving the deletions out.
  const expected = (limit: number) =>
    h
      .query({ limit })
      .filter((r) => r.outcome !== 'archive-removed')
      .map((r) => ({ rel: r.rel, atMs: r.startedAtMs }));
  for (const limit of [0, 1, 10, 25, 100, 1_000]) {
    assert.deepEqual(h.recentArrivals(limit), expected(limit), `limit ${limit}`);
  }
  // Records past the history's limit (30 wait to be dropped) are never read.
  assert.equal(h.recentArrivals(1_000).length, 90);
  assert.equal(h.recentArrivals(1_000).at(-1)!.rel, 'RDL/USB0/f30.csv');
  // Plain values: changing them changes nothing kept.
  h.recentArrivals(2)[0]!.rel = 'changed';
  assert.equal(h.query({ limit: 2 })[1]!.rel, 'RDL/USB0/f128.csv');
  await h.close();
});

test('compacting keeps the newest lines of the file as written, and rewrites the records when the file is not line for line its own', async (t) => {
  const file = tempFile(t);
  const limit = 60; // margin: 50
  // Only saves a caller waits for (no coalesced one comes during the test): they append until
  // the file is past limit + DEFERRED_REWRITE_MARGINS margins, then compact to the newest `limit`.
  const h = await History.open(file, limit, undefined, { saveDelayMs: 60_000 });
  const expected = (last: number, n: number): string[] =>
    Array.from({ length: n }, (_, k) => `fü${last - n + 1 + k}.csv`);
  let i = 0;
  let linesOnDisk = 0;
  for (let round = 0; round < 16; round++) {
    for (let k = 0; k < 17; k++, i++) h.append(rec(`fü${i}.csv`, i % 3 !== 0, i));
    await h.flush();
    const most = limit + DEFERRED_REWRITE_MARGINS * 50;
    linesOnDisk = linesOnDisk + 17 > most ? limit : linesOnDisk + 17;
    const onDisk = lines(file).map((l) => JSON.parse(l) as HistoryRecord);
    assert.equal(onDisk.length, linesOnDisk, `round ${round}`);
    // Whatever was compacted, the file ends with the newest records, in order, each whole.
    assert.deepEqual(
      onDisk.slice(-Math.min(i, limit)).map((r) => r.rel),
      expected(i - 1, Math.min(i, limit)),
    );
    assert.deepEqual(onDisk.at(-1), h.query({ limit: 1 })[0]);
  }
  // A blank line put into the file by hand: the next compaction cannot count on its lines and
  // writes the kept records instead.
  fs.appendFileSync(file, '\n');
  for (let k = 0; k < 120; k++, i++) h.append(rec(`fü${i}.csv`, true, i));
  await h.flush();
  const text = fs.readFileSync(file, 'utf8');
  assert.doesNotMatch(text, /\n\n/);
  assert.deepEqual(
    lines(file).map((l) => (JSON.parse(l) as HistoryRecord).rel),
    expected(i - 1, limit),
  );
  // Lines removed by hand: the same.
  fs.writeFileSync(file, lines(file).slice(30).join('\n') + '\n');
  for (let k = 0; k < 120; k++, i++) h.append(rec(`fü${i}.csv`, true, i));
  await h.close();
  const again = await History.open(file, limit);
  assert.deepEqual(
    again
      .query({ limit: 1_000 })
      .map((r) => r.rel)
      .reverse(),
    expected(i - 1, limit),
  );
  assert.deepEqual(
    lines(file).map((l) => (JSON.parse(l) as HistoryRecord).rel),
    expected(i - 1, limit),
  );
});

test('a save a caller waits for appends even past the limit; the save no caller waits for rewrites the file', async (t) => {
  const file = tempFile(t);
  const limit = 100; // margin: 50
  const h = await History.open(file, limit, undefined, { saveDelayMs: 20 });
  for (let i = 0; i < 140; i++) h.append(rec(`a${i}.csv`));
  await h.flush();
  // The appends scheduled a coalesced save: let it run first (it finds nothing left to do).
  await new Promise((resolve) => setTimeout(resolve, 300));
  await h.flush();
  assert.equal(lines(file).length, 140);
  // Past the limit and its margin: the waited-for save appends all the same...
  for (let i = 0; i < 20; i++) h.append(rec(`b${i}.csv`));
  await h.flush();
  assert.equal(lines(file).length, 160, 'the finished files were not held by a rewrite');
  // ...and the coalesced save rewrites the file to the newest `limit`, with no further call.
  for (let waited = 0; lines(file).length !== limit && waited < 5_000; waited += 10)
    await new Promise((resolve) => setTimeout(resolve, 10));
  assert.equal(lines(file).length, limit);
  assert.equal((JSON.parse(lines(file).at(-1)!) as HistoryRecord).rel, 'b19.csv');
  assert.equal((JSON.parse(lines(file)[0]!) as HistoryRecord).rel, 'a60.csv');
  await h.close();
});

test('a record appended while a rewrite is under way is on disk once, not twice', async (t) => {
  const file = tempFile(t);
  const limit = 10; // margin: 50
  const h = await History.open(file, limit);
  for (let i = 0; i < 60; i++) h.append(rec(`f${i}.csv`, true, i));
  await h.flush();
  // Edited by hand: the next save over the limit cannot keep the file's own lines and rewrites it
  // from the records.
  fs.writeFileSync(file, `\n${fs.readFileSync(file, 'utf8')}`);
  h.append(rec('f60.csv', true, 60));
  const saving = h.flush();
  // A few turns of the microtask queue: the save has begun and waits on the disk (a real mkdir).
  for (let i = 0; i < 5; i++) await null;
  h.append(rec('late.csv', true, 61));
  await saving;
  await h.close();
  const ids = lines(file).map((l) => (JSON.parse(l) as HistoryRecord).id);
  assert.equal(new Set(ids).size, ids.length, `ids on disk: ${ids.join(' ')}`);
  const again = await History.open(file, limit);
  const shown = again.query({ limit: 100 }).map((r) => r.rel);
  assert.equal(shown.filter((rel) => rel === 'late.csv').length, 1);
  assert.equal(shown[0], 'late.csv');
  await again.close();
});

test('a history with a torn last line opens on a full disk (its repair waits for room), and the next save leaves it whole', async (t) => {
  if (!(await canMount())) return t.skip('needs root for a small tmpfs');
  const dir = smallTmpfs(t, 'rdl-history-full-', 256);
  const file = path.join(dir, 'history.jsonl');
  const h = await History.open(file, 100);
  h.append(rec('a.csv'));
  await h.close();
  // An append cut by the disk filling up, then the disk full to the byte.
  fs.appendFileSync(file, '{"rel":"b.cs');
  const filler = await fill(dir);
  await fillToTheByte(filler);

  // Before: History.open threw ENOSPC (its repair is a rewrite) and the daemon did not start.
  const reopened = await History.open(file, 100);
  assert.deepEqual(
    reopened.query().map((r) => r.rel),
    ['a.csv'],
  );
  fs.rmSync(filler);
  reopened.append(rec('c.csv'));
  await reopened.close();
  const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
  assert.deepEqual(
    lines.map((l) => (JSON.parse(l) as HistoryRecord).rel),
    ['a.csv', 'c.csv'],
    'the torn line is gone and nothing was glued to it',
  );
});

test('a history of several MiB loads whole, names in any script intact where the read slices cut a character in two', async (t) => {
  const file = tempFile(t);
  // Lines of different lengths holding 2-, 3- and 4-byte characters, written as the history
  // writes them: among 9,000 of them, slice ends (every 1 MiB) fall inside characters.
  const names: string[] = [];
  const body: string[] = [];
  for (let i = 0; i < 9_000; i++) {
    const rel = `Station-${'é'.repeat(i % 5)}/漢字-${'𝔇'.repeat(i % 3)}/${'x'.repeat(i % 7)}${i}.csv`;
    names.push(rel);
    body.push(`${JSON.stringify({ ...rec(rel, true, 1_000 + i), id: i + 1 })}\n`);
  }
  const bytes = Buffer.from(body.join(''), 'utf8');
  assert.ok(bytes.length > 3 * (1 << 20), `the file spans several slices (${bytes.length} B)`);
  // At least one slice boundary inside a multibyte character (a UTF-8 continuation byte there).
  const cutInside = [1, 2, 3].some((k) => (bytes[k * (1 << 20)]! & 0xc0) === 0x80);
  if (!cutInside) {
    // Shift the text by one byte until a boundary falls inside a character.
    let shift = 1;
    while (![1, 2, 3].some((k) => (bytes[k * (1 << 20) - shift]! & 0xc0) === 0x80)) shift++;
    body[0] = `${' '.repeat(shift)}${body[0]}`;
  }
  fs.writeFileSync(file, body.join(''));
  const written = fs.readFileSync(file);
  assert.ok([1, 2, 3].some((k) => (written[k * (1 << 20)]! & 0xc0) === 0x80));
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) };
  const h = await History.open(file, 10_000, logger);
  assert.deepEqual(warnings, [], 'no line read as damaged');
  assert.equal(h.count(), 9_000);
  const got = h.query({ limit: 10_000 }).map((r) => r.rel);
  assert.deepEqual(got, names.slice().reverse());
  // Ids continue after the newest, and the file was not rewritten (nothing was wrong with it).
  assert.equal(h.append(rec('next.csv')).id, 9_001);
  await h.close();
  assert.equal(lines(file).length, 9_001);
});

test('a folder where the history file should be: a new history, said in the log, nothing thrown', async (t) => {
  const file = tempFile(t);
  fs.mkdirSync(file);
  const warnings: string[] = [];
  const logger: Logger = { debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) };
  const h = await History.open(file, 100, logger);
  assert.equal(h.count(), 0);
  assert.match(warnings.join(), /Transfer history unreadable; starting a new one/);
  h.append(rec('a.csv'));
  assert.deepEqual(
    h.query({}).map((r) => r.rel),
    ['a.csv'],
  );
  await h.close().catch(() => undefined); // cannot be saved over a folder: the log says so
});
