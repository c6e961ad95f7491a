// The journal's append log (journal.ts): a save appends one line of what changed, a line cut by a
// crash loses that save whole and nothing else, a log left from before a compaction is never
// replayed onto the newer snapshot, and the log is folded into a snapshot once it outgrows it.
// Real files; the kill test uses a real child process and SIGKILL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  Journal,
  LOG_COMPACT_MIN_BYTES,
  LOG_DEFERRED_COMPACTION_FACTOR,
  STALE_SNAPSHOT_MIN_BYTES,
} from '../../src/engine/journal/journal.js';
import type { Logger, UploadSessionState } from '../../src/engine/ports.js';
import { canMount, fill, fillToTheByte, smallTmpfs } from '../archive/helpers.js';

// canMount is async: `skip: !canMount()` read a Promise, never skipped (a sandbox without mounts
// then failed these tests instead of skipping them).
const mountable = await canMount();

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-journal-log-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A short coalescing window, for the tests that wait for the save no caller waits for. */
const COALESCE_MS = 20;

/** Waits out the coalesced save scheduled by the last change (or owed compaction), and its write. */
async function coalescedSave(j: Journal): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 4 * COALESCE_MS));
  await j.flush(); // queued behind it: resolves once it is written
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) };
}

const session = (offset: number): UploadSessionState => ({
  sessionId: 'pid_upload_session:XYZ',
  offset,
  blockDigests: [],
  size: 50_000_000,
  mtimeMs: 1_700_000_000_000,
  startedAtMs: 1_700_000_000_500,
});

test('a save appends one line of what changed; the snapshot is not rewritten; reopening replays sets, removals and sessions', async (t) => {
  const file = path.join(tempDir(t), 'journal.json');
  const j = await Journal.open(file);
  for (let i = 0; i < 500; i++) j.update(`old/${i}`, { size: i, mtimeMs: i });
  await j.flush();
  const snapshot = fs.readFileSync(file, 'utf8');
  const logAfterFirst = fs.readFileSync(`${file}.log`, 'utf8');
  assert.equal(
    logAfterFirst.split('\n').filter(Boolean).length,
    1,
    'a fresh log holds its header only',
  );

  j.update('old/1', { contentHash: 'h1' });
  j.delete('old/2');
  j.sessions.set('big.raw', session(4 * 1024 * 1024));
  await j.flush();
  j.sessions.set('big.raw', session(8 * 1024 * 1024));
  j.update('new.csv', { size: 7, mtimeMs: 8 });
  await j.flush();
  j.sessions.delete('big.raw');
  j.sessions.set('other.raw', session(0));
  await j.flush();

  assert.equal(fs.readFileSync(file, 'utf8'), snapshot, 'the snapshot was not rewritten');
  const log = fs.readFileSync(`${file}.log`, 'utf8');
  assert.equal(log.split('\n').filter(Boolean).length, 4, 'header and one line per save');
  assert.ok(log.length < snapshot.length / 10, `three small saves cost ${log.length} bytes`);

  const logger = recordingLogger();
  const again = await Journal.open(file, logger);
  assert.deepEqual(logger.warnings, []);
  assert.equal(again.entry('old/1')?.contentHash, 'h1');
  assert.equal(again.entry('old/2'), undefined);
  assert.equal(again.entry('old/499')?.size, 499);
  assert.equal(again.entry('new.csv')?.size, 7);
  assert.equal(again.sessions.get('big.raw'), undefined);
  assert.deepEqual(again.sessions.get('other.raw'), session(0));
  assert.equal(again.rels().length, 500 + 1 + 1 - 1);
  await again.close();
});

test('a log cut anywhere in its last line (a crash mid-save) loads the save before it; the next save is not glued to the cut', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'journal.json');
  const j = await Journal.open(file);
  j.update('a.csv', { size: 1, mtimeMs: 1 });
  await j.flush();
  j.update('b.csv', { size: 2, mtimeMs: 2 });
  await j.flush();
  j.update('c.csv', { size: 3, mtimeMs: 3 });
  j.update('a.csv', { contentHash: 'ha' });
  j.delete('b.csv');
  await j.flush();
  await j.close();
  const full = fs.readFileSync(`${file}.log`);
  const lastStart = full.lastIndexOf('\n', full.length - 2) + 1;
  const snapshot = fs.readFileSync(file);
  // Every cut that leaves the line incomplete (its newline alone missing, the save is all there).
  for (let cut = lastStart + 1; cut < full.length - 1; cut += 7) {
    fs.writeFileSync(file, snapshot);
    fs.writeFileSync(`${file}.log`, full.subarray(0, cut));
    const logger = recordingLogger();
    const k = await Journal.open(file, logger);
    assert.deepEqual(logger.warnings, [], `cut at ${cut}: loads without complaint`);
    assert.deepEqual(
      k.rels().sort(),
      ['a.csv', 'b.csv'],
      `cut at ${cut}: the last save is lost whole`,
    );
    assert.equal(k.entry('a.csv')?.contentHash, undefined);
    k.update('d.csv', { size: 4, mtimeMs: 4 });
    await k.close();
    const reloaded = await Journal.open(file, logger);
    assert.deepEqual(
      reloaded.rels().sort(),
      ['a.csv', 'b.csv', 'd.csv'],
      `cut at ${cut}: the save after it holds`,
    );
    assert.deepEqual(logger.warnings, []);
  }
});

test('a log damaged in the middle (a torn block of NULs on an SD card): the saves before it load, the rest are named in a warning, and the log as found is kept', async (t) => {
  const file = path.join(tempDir(t), 'journal.json');
  const j = await Journal.open(file);
  j.update('a.csv', { size: 1, mtimeMs: 1 });
  await j.flush();
  j.update('b.csv', { size: 2, mtimeMs: 2 });
  await j.flush();
  j.update('c.csv', { size: 3, mtimeMs: 3 });
  await j.flush();
  j.update('d.csv', { size: 4, mtimeMs: 4 });
  await j.flush();
  await j.close();
  const log = fs.readFileSync(`${file}.log`);
  // The first save wrote the snapshot (a.csv); the log is its header, then b's, c's, d's saves.
  // b.csv's save zeroed in place, its newline kept.
  const starts = [0];
  for (let at = log.indexOf(0x0a); at !== -1; at = log.indexOf(0x0a, at + 1)) starts.push(at + 1);
  const damaged = Buffer.from(log);
  damaged.fill(0, starts[1], starts[2]! - 1);
  fs.writeFileSync(`${file}.log`, damaged);

  const logger = recordingLogger();
  const k = await Journal.open(file, logger);
  assert.deepEqual(k.rels(), ['a.csv'], 'nothing after the damage is applied');
  assert.equal(logger.warnings.length, 1, logger.warnings.join());
  assert.match(logger.warnings[0]!, /damaged before its end/);
  assert.ok(fs.readFileSync(`${file}.log.corrupt`).equals(damaged), 'the log as found is kept');
  k.update('e.csv', { size: 5, mtimeMs: 5 });
  await k.close();
  const again = await Journal.open(file);
  assert.deepEqual(again.rels().sort(), ['a.csv', 'e.csv'], 'the journal goes on whole');
  await again.close();
});

test('a log from before a compaction (a crash between its two writes) is never replayed onto the newer snapshot', async (t) => {
  const file = path.join(tempDir(t), 'journal.json');
  const j = await Journal.open(file);
  j.update('a.csv', { size: 1, mtimeMs: 1 });
  await j.flush();
  j.update('b.csv', { size: 2, mtimeMs: 2 });
  await j.flush();
  await j.close();
  const oldLog = fs.readFileSync(`${file}.log`);
  // Reopened, the first save compacts: a new snapshot (without b.csv), then a new log.
  const k = await Journal.open(file);
  k.delete('b.csv');
  await k.close();
  assert.equal(JSON.parse(fs.readFileSync(file, 'utf8')).entries['b.csv'], undefined);
  // The crash came after the new snapshot, before the new log: the old log is still there.
  fs.writeFileSync(`${file}.log`, oldLog);
  const after = await Journal.open(file);
  assert.deepEqual(after.rels(), ['a.csv'], 'b.csv, removed before the crash, does not come back');
});

test('the log is folded into a new snapshot once it outgrows it; the state stays whole', async (t) => {
  const file = path.join(tempDir(t), 'journal.json');
  // A short coalescing window: however fast the loop runs, coalesced saves come during it.
  const j = await Journal.open(file, undefined, { saveDelayMs: COALESCE_MS });
  j.update('counter', { size: 0, mtimeMs: 0 });
  await j.flush();
  let largestLog = 0;
  let compactions = 0;
  let lastLog = fs.statSync(`${file}.log`).size;
  const expected = new Map<string, number>();
  const lastError = { code: 'offline', message: 'Dropbox unreachable '.repeat(20), atMs: 1 };
  for (let i = 1; i <= 4000; i++) {
    j.update(`f/${i % 300}`, { size: i, mtimeMs: i, contentHash: 'z'.repeat(64), lastError });
    expected.set(`f/${i % 300}`, i);
    j.update('counter', { size: i, mtimeMs: i });
    await j.flush();
    const size = fs.statSync(`${file}.log`).size;
    if (size < lastLog) compactions++;
    lastLog = size;
    largestLog = Math.max(largestLog, size);
  }
  await j.close();
  // Every save here is one a caller waits for: the coalesced saves between them fold the log in.
  assert.ok(compactions >= 1, 'the log was compacted');
  assert.ok(
    largestLog < LOG_DEFERRED_COMPACTION_FACTOR * LOG_COMPACT_MIN_BYTES + 4096,
    `the log reached ${largestLog} bytes`,
  );
  const again = await Journal.open(file);
  assert.equal(again.entry('counter')?.size, 4000);
  assert.equal(again.rels().length, 301);
  for (const [rel, size] of expected) assert.equal(again.entry(rel)?.size, size, rel);
});

test('a save a file waits for appends its line even when a compaction is due; the save no file waits for folds the log in', async (t) => {
  const dir = tempDir(t);
  const rel = (i: number): string =>
    `RDL/USB0/2026-11/RDL_2026-11-${String(i).padStart(4, '0')}.txt`;
  const generation = (file: string): string =>
    fs.readFileSync(`${file}.log`, 'utf8').split('\n')[0] ?? '';
  /** A backlog's snapshot, then most of it finished: a compaction is due at the next save. */
  const drained = async (file: string, saveDelayMs: number): Promise<Journal> => {
    // Built with no coalesced save to come: a coalesced save still queued would take the
    // deletions below with it, and rightly compact.
    const backlog = await Journal.open(file, undefined, { saveDelayMs: 60_000 });
    for (let i = 0; i < 2000; i++)
      backlog.update(rel(i), {
        size: 300_000 + i,
        mtimeMs: 1_700_000_000_000 + i,
        contentHash: 'a'.repeat(64),
      });
    await backlog.close();
    const j = await Journal.open(file, undefined, { saveDelayMs });
    // The first save after a start is a snapshot (the log may end in a cut line), and the
    // coalesced save its change scheduled is left to pass first.
    j.delete(rel(0));
    await j.flush();
    await new Promise((resolve) => setTimeout(resolve, 300));
    await j.flush();
    const before = generation(file);
    const logBefore = fs.statSync(`${file}.log`).size;
    for (let i = 1; i < 1990; i++) j.delete(rel(i));
    await j.flush();
    assert.equal(generation(file), before, 'the waited-for save wrote no snapshot');
    assert.ok(fs.statSync(`${file}.log`).size > logBefore, 'it appended the deletions');
    return j;
  };
  const reopened = async (file: string): Promise<string[]> =>
    (await Journal.open(file)).rels().sort();
  const left = Array.from({ length: 10 }, (_, k) => rel(1990 + k));

  // No coalesced save comes (a window longer than the test): close folds the log in.
  const closing = path.join(dir, 'closing.json');
  const j1 = await drained(closing, 60_000);
  const atClose = generation(closing);
  await j1.close();
  assert.notEqual(generation(closing), atClose, 'close wrote a new snapshot');
  assert.ok(fs.statSync(`${closing}.log`).size < 100, 'and started an empty log');
  assert.deepEqual(await reopened(closing), left);

  // The coalesced save folds it in by itself, with no further change or call.
  const coalesced = path.join(dir, 'coalesced.json');
  const j2 = await drained(coalesced, COALESCE_MS);
  const owed = generation(coalesced);
  for (let waited = 0; generation(coalesced) === owed && waited < 5_000; waited += 10)
    await new Promise((resolve) => setTimeout(resolve, 10));
  assert.notEqual(generation(coalesced), owed, 'the coalesced save wrote a new snapshot');
  assert.deepEqual(await reopened(coalesced), left);
  await j2.close();
});

test('saves a caller waits for fold the log in themselves once it is LOG_DEFERRED_COMPACTION_FACTOR times past the compaction point', async (t) => {
  const file = path.join(tempDir(t), 'journal.json');
  // No coalesced save comes during the test: only the waited-for saves write.
  const j = await Journal.open(file, undefined, { saveDelayMs: 60_000 });
  const lastError = { code: 'offline', message: 'x'.repeat(4000), atMs: 1 };
  let largestLog = 0;
  let compactions = 0;
  let lastLog = 0;
  for (let i = 1; i <= 3000 && compactions === 0; i++) {
    j.update(`f/${i % 50}`, { size: i, mtimeMs: i, lastError });
    await j.flush();
    const size = fs.statSync(`${file}.log`).size;
    if (size < lastLog) compactions++;
    lastLog = size;
    largestLog = Math.max(largestLog, size);
  }
  assert.equal(compactions, 1, 'a waited-for save compacted');
  const bound = LOG_DEFERRED_COMPACTION_FACTOR * LOG_COMPACT_MIN_BYTES;
  assert.ok(
    largestLog > LOG_COMPACT_MIN_BYTES,
    `the log grew past the compaction point (${largestLog})`,
  );
  assert.ok(largestLog < bound + 8192, `the log reached ${largestLog} bytes (bound ${bound})`);
  await j.close();
  assert.equal((await Journal.open(file)).rels().length, 50);
});

test('a backlog drained: the snapshot that held it is written afresh as it empties, so the next start reads a small journal', async (t) => {
  const file = path.join(tempDir(t), 'journal.json');
  const j = await Journal.open(file, undefined, { saveDelayMs: COALESCE_MS });
  // A week offline (WORKLOAD.md: about 2,000 files), each with its hash and a leg's answer.
  const rel = (i: number): string =>
    `RDL/USB0/2026-11/RDL_2026-11-${String(i).padStart(4, '0')}_USB0.txt`;
  for (let i = 0; i < 2000; i++)
    j.update(rel(i), {
      size: 300_000 + i,
      mtimeMs: 1_700_000_000_000 + i,
      contentHash: 'a'.repeat(64),
    });
  await j.flush();
  const first = fs.statSync(file).size;
  assert.ok(first > STALE_SNAPSHOT_MIN_BYTES, `the backlog's snapshot is ${first} bytes`);
  const generation = (): string => fs.readFileSync(`${file}.log`, 'utf8').split('\n')[0] ?? '';
  let rewrites = 0;
  let rewrittenBytes = 0;
  let last = generation();
  const countRewrite = (): void => {
    if (generation() === last) return;
    rewrites++;
    rewrittenBytes += fs.statSync(file).size;
    last = generation();
  };
  // Files leave transit in groups, each group's deletions one save, until 10 are left. Between
  // groups, the coalesced save (no file waits for it) makes the rewrites that are due.
  for (let done = 0; done < 1990; done += 110) {
    for (let i = done; i < Math.min(done + 110, 1990); i++) j.delete(rel(i));
    await j.flush();
    countRewrite();
    await coalescedSave(j);
    countRewrite();
  }
  await j.close();
  countRewrite();
  const onDisk = fs.statSync(file).size + fs.statSync(`${file}.log`).size;
  assert.ok(onDisk < first / 8, `${onDisk} bytes on disk for 10 entries (the backlog's ${first})`);
  assert.ok(rewrites >= 1 && rewrites <= 8, `${rewrites} snapshots written while draining`);
  assert.ok(rewrittenBytes <= first, `${rewrittenBytes} bytes of snapshots written while draining`);
  const again = await Journal.open(file);
  assert.deepEqual(
    again.rels().sort(),
    Array.from({ length: 10 }, (_, k) => rel(1990 + k)),
  );
  assert.equal(again.entry(rel(1999))?.size, 301_999);
});

test('killing a writer of large saves at any instant: every save is there whole or not at all, none lost once done', async (t) => {
  const file = path.join(tempDir(t), 'journal.json');
  const writer = fileURLToPath(new URL('./fixtures/batch-writer.ts', import.meta.url));
  const PER_SAVE = 200;
  let lastCounter = 0;
  for (let round = 0; round < 5; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, file, String(PER_SAVE)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        const deadline = setTimeout(() => reject(new Error('writer did not start')), 30_000);
        child.once('error', reject);
        child.stdout.once('data', () => {
          clearTimeout(deadline);
          resolve();
        });
      });
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 250));
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) =>
        child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r),
      );
    }
    const logger = recordingLogger();
    const j = await Journal.open(file, logger);
    assert.deepEqual(logger.warnings, [], `round ${round}: loads cleanly`);
    const counter = j.entry('counter')?.size ?? 0;
    assert.equal(
      j.rels().length,
      counter === 0 ? 0 : counter * PER_SAVE + 1,
      `round ${round}: whole saves only`,
    );
    assert.ok(counter >= lastCounter, 'a finished save is never lost');
    lastCounter = counter;
    await j.close();
  }
  assert.ok(lastCounter > 0, 'the writer made progress');
});

test('a save on a disk filling up is saved whole or fails, never cut short and counted saved: the saves after it survive a restart', async (t) => {
  if (!(await canMount())) return t.skip('needs root for a small tmpfs');
  const dir = smallTmpfs(t, 'rdl-journal-full-', 256);
  const file = path.join(dir, 'journal.json');
  const j = await Journal.open(file);
  j.update('first.csv', { size: 1, mtimeMs: 1 });
  await j.flush(); // a snapshot and a log of one short line: the rest of its page is free
  const filler = await fill(dir);
  await fillToTheByte(filler);

  // One save longer than the room left in the log's last page: a single write() stored the
  // part that fitted and answered success.
  const rels = Array.from({ length: 60 }, (_, i) => `RDL/USB0/2026-12/RDL_2026-12-${i}_USB0.txt`);
  for (const rel of rels) j.update(rel, { size: 100, mtimeMs: 2, finishedAtMs: 3 });
  await assert.rejects(j.flush(), { code: 'ENOSPC' }, 'the save did not fit: it fails');

  fs.rmSync(filler);
  j.update('after.csv', { size: 4, mtimeMs: 4 });
  await j.flush();
  // As a SIGKILL leaves it: nothing closed.
  const reopened = await Journal.open(file);
  assert.deepEqual(
    reopened.rels().sort(),
    ['after.csv', 'first.csv', ...rels].sort(),
    'every save made once there was room is there after a restart',
  );
  assert.equal(reopened.entry(rels[0]!)?.finishedAtMs, 3);
});

test('a deletion is known until a save holds it: one refused by a full disk leaves it known, as a restart would find the entry', async (t) => {
  if (!(await canMount())) return t.skip('needs root for a small tmpfs');
  const dir = smallTmpfs(t, 'rdl-journal-knows-', 256);
  const file = path.join(dir, 'journal.json');
  const j = await Journal.open(file);
  const rels = Array.from({ length: 120 }, (_, i) => `RDL/USB0/2026-12/RDL_2026-12-${i}_USB0.txt`);
  for (const rel of rels) j.update(rel, { size: 100, mtimeMs: 2, finishedAtMs: 3 });
  await j.flush();
  assert.equal(j.knows('never.csv'), false);
  const filler = await fill(dir);
  await fillToTheByte(filler);

  // Deletions of many long names: a line longer than the room left in the log's last page.
  for (const rel of rels) j.delete(rel);
  assert.equal(j.entry(rels[0]!), undefined);
  assert.equal(j.knows(rels[0]!), true, 'deleted, not saved');
  await assert.rejects(j.flush(), { code: 'ENOSPC' });
  assert.equal(j.knows(rels[0]!), true, 'the save that failed did not hold it');
  assert.equal((await Journal.open(file)).entry(rels[0]!)?.finishedAtMs, 3, 'a restart finds it');

  fs.rmSync(filler);
  await j.flush();
  assert.equal(j.knows(rels[0]!), false, 'saved');
  assert.equal((await Journal.open(file)).entry(rels[0]!), undefined);
  await j.close();
});

test(
  'saves retried on a full disk warn once, not twice a second; a save that works again is news again',
  { skip: !mountable && 'this sandbox does not allow mounts' },
  async (t) => {
    const dir = smallTmpfs(t, 'rdl-journal-retries-', 256);
    const file = path.join(dir, 'journal.json');
    const logger = recordingLogger();
    const j = await Journal.open(file, logger);
    j.update('first.csv', { size: 1, mtimeMs: 1 });
    await j.flush();
    const filler = await fill(dir);
    await fillToTheByte(filler);
    // A change that cannot be saved: the coalesced save is tried every half second.
    const rels = Array.from({ length: 60 }, (_, i) => `RDL/USB0/2026-12/RDL_2026-12-${i}_USB0.txt`);
    for (const rel of rels) j.update(rel, { size: 100, mtimeMs: 2 });
    const failed = () => logger.warnings.filter((w) => w.startsWith('Could not save the journal'));
    await new Promise((r) => setTimeout(r, 3_200)); // six tries or so
    assert.equal(failed().length, 1, logger.warnings.join('\n'));

    // Room again: saved; then full again, and that failure is logged at once.
    await fs.promises.rm(filler);
    await j.flush();
    const filler2 = await fill(dir);
    await fillToTheByte(filler2);
    for (const rel of rels) j.update(`again/${rel}`, { size: 100, mtimeMs: 2 });
    await new Promise((r) => setTimeout(r, 1_200));
    assert.equal(failed().length, 2, logger.warnings.join('\n'));
    await fs.promises.rm(filler2);
    await j.close();
  },
);
