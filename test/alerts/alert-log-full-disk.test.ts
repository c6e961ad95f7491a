// The alert log on a settings disk filling up (a hub's one card): the log keeps a reserve
// (alerts.reserve, zeros written while there was room) that a record meeting a full disk is
// written over, in place, so the "disk full" raise is known to the next start, which then sends
// its "resolved", and the disk stays as full as it was. With the reserve used up, a line is on the
// disk whole, or its append fails (the alert still goes out, alert-service.ts says so), never cut
// short and counted written. A real tmpfs filled to the byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import { ALERT_RESERVE_FILE, AlertLog } from '../../src/engine/alerts/alert-log.js';
import type { Alert } from '../../src/engine/alerts/types.js';
import { canMount, fill, fillToTheByte, smallTmpfs } from '../archive/helpers.js';

const alert = (conditionId: string, sentence: string, atMs: number): Alert => ({
  kind: 'raised',
  conditionId,
  code: 'archive-missing',
  severity: 'error',
  sentence,
  sinceMs: atMs,
  atMs,
  tab: 'status',
});

test('alerts on a full disk are written in the reserve, in place; once it is used up, one that does not fit fails; once there is room, all are read back in order', async (t) => {
  if (!(await canMount())) return t.skip('needs root for a small tmpfs');
  const dir = smallTmpfs(t, 'rdl-alert-log-full-', 256);
  const log = new AlertLog(dir);
  await log.append(alert('first', 'The SD card is missing.', 1));
  assert.ok(fs.existsSync(join(dir, ALERT_RESERVE_FILE)), 'the first record made the reserve');
  const filler = await fill(dir);
  await fillToTheByte(filler);

  // Longer than the room left in the log's last page: a single write() stored what fitted.
  const long = (i: number): Alert =>
    alert(`source-silent:logger${i}`, `No new files from logger${i}. ${'x'.repeat(6000)}`, 10 + i);
  const written: string[] = [];
  let refused: unknown = null;
  for (let i = 0; i < 20 && !refused; i++) {
    try {
      await log.append(long(i));
      written.push(long(i).conditionId);
    } catch (e) {
      refused = e;
    }
  }
  assert.ok(written.length >= 5, `${written.length} records fitted in the reserve`);
  assert.equal((refused as NodeJS.ErrnoException | null)?.code, 'ENOSPC', 'then one does not fit');
  assert.throws(
    () => fs.appendFileSync(filler, Buffer.alloc(4096, 1)),
    { code: 'ENOSPC' },
    'the reserve gave no room to anything else: the disk is as full as it was',
  );
  assert.deepEqual(
    (await log.read()).map((a) => a.conditionId),
    ['first', ...written],
    'what the reserve holds is read, after the log',
  );

  fs.rmSync(filler);
  await log.append(alert('archive-missing', 'The SD card is back.', 100));
  assert.deepEqual(
    (await log.read()).map((a) => a.conditionId),
    ['first', ...written, 'archive-missing'],
    'in order, each once, none lost to a line cut before it',
  );
  assert.deepEqual(
    fs.readFileSync(join(dir, ALERT_RESERVE_FILE)),
    Buffer.alloc(64 * 1024),
    'the reserve is zeros again, its records moved into the log',
  );
});

test('records in the reserve that are not plain ASCII (a resolved alert quotes its last words in “…”) are each read back, none overwritten by the next', async (t) => {
  if (!(await canMount())) return t.skip('needs root for a small tmpfs');
  const dir = smallTmpfs(t, 'rdl-alert-log-utf8-', 256);
  const log = new AlertLog(dir);
  await log.append(alert('first', 'The SD card is missing.', 1));
  const filler = await fill(dir);
  await fillToTheByte(filler);
  // Longer than the room left in the log's last page: from here on, records go to the reserve.
  await log.append(alert('long', `No new files from logger0. ${'x'.repeat(6000)}`, 2));
  const resolved: Alert = {
    ...alert(
      'archive-missing',
      'Resolved: the SD card missing, which began 2026-12-03 22:38 UTC and lasted 40 s. It last read: “The SD card is missing.”',
      2,
    ),
    kind: 'cleared',
  };
  await log.append(resolved);
  await log.append(alert('disk:/srv/rdl', 'The card of site Forêt-Nord is full.', 3));
  await log.append(alert('source-silent:logger1', 'No new files from logger1.', 4));
  assert.deepEqual(
    (await log.read()).map((a) => [a.conditionId, a.sentence.slice(0, 120)]),
    [
      ['first', 'The SD card is missing.'],
      ['long', `No new files from logger0. ${'x'.repeat(93)}`],
      ['archive-missing', resolved.sentence],
      ['disk:/srv/rdl', 'The card of site Forêt-Nord is full.'],
      ['source-silent:logger1', 'No new files from logger1.'],
    ],
    'each record whole, in order: each written after the bytes of the one before',
  );

  fs.rmSync(filler);
  await log.append(alert('archive-missing', 'The SD card is back.', 5));
  assert.deepEqual(
    (await log.read()).map((a) => a.conditionId),
    [
      'first',
      'long',
      'archive-missing',
      'disk:/srv/rdl',
      'source-silent:logger1',
      'archive-missing',
    ],
    'once there is room, moved into the log, each once',
  );
  assert.deepEqual(
    fs.readFileSync(join(dir, ALERT_RESERVE_FILE)),
    Buffer.alloc(64 * 1024),
    'the reserve is zeros again, to its last byte',
  );
});

test('records moved from the reserve into a log with less room than they need are in the log once each, not again at the next append', async (t) => {
  if (!(await canMount())) return t.skip('needs root for a small tmpfs');
  const dir = smallTmpfs(t, 'rdl-alert-log-partial-', 256);
  const log = new AlertLog(dir);
  await log.append(alert('first', 'The SD card is missing.', 1));
  // The log ends on a page boundary (blank lines are skipped when read): no room in its last page.
  const size = fs.statSync(log.file).size;
  fs.appendFileSync(log.file, '\n'.repeat(4096 - (size % 4096)));
  const filler = await fill(dir);
  await fillToTheByte(filler);

  await log.append(alert('short', 'The archive folder is missing.', 2));
  await log.append(alert('long', `Files failing: ${'a.csv, '.repeat(1000)}`, 3));
  // One page comes free (a temporary file removed): less than the two records held need.
  fs.truncateSync(filler, fs.statSync(filler).size - 4096);
  await log.append(alert('third', 'No new files from logger1.', 4));
  fs.rmSync(filler);
  await log.append(alert('back', 'The SD card is back.', 5));
  assert.deepEqual(
    (await log.read()).map((a) => a.conditionId),
    ['first', 'short', 'long', 'third', 'back'],
    'each once (the digest lists what the log holds)',
  );
});

test('a record cut short in the reserve (a power cut during its write) does not take the next one with it', async (t) => {
  if (!(await canMount())) return t.skip('needs root for a small tmpfs');
  const dir = smallTmpfs(t, 'rdl-alert-log-torn-', 256);
  const log = new AlertLog(dir);
  await log.append(alert('first', 'The SD card is missing.', 1));
  const filler = await fill(dir);
  await fillToTheByte(filler);
  await log.append(alert('long', `No new files from logger0. ${'x'.repeat(6000)}`, 2));
  // The next record's write in the reserve was cut by a power loss: part of it, no line end.
  const reserve = join(dir, ALERT_RESERVE_FILE);
  const cutShort = (conditionId: string): void => {
    const used = fs.readFileSync(reserve).indexOf(0);
    const torn = Buffer.from(
      JSON.stringify(alert(conditionId, 'The disk is full.', 3)).slice(0, 40),
    );
    const fd = fs.openSync(reserve, 'r+');
    try {
      fs.writeSync(fd, torn, 0, torn.length, used);
    } finally {
      fs.closeSync(fd);
    }
  };
  cutShort('torn');
  await log.append(alert('after', 'No new files from logger1.', 4));
  assert.deepEqual(
    (await log.read()).map((a) => a.conditionId),
    ['first', 'long', 'after'],
    'the cut record is lost alone',
  );
  // Cut again, and then there is room: the records move into the log, the next one whole.
  cutShort('torn again');
  fs.rmSync(filler);
  await log.append(alert('back', 'The SD card is back.', 5));
  assert.deepEqual(
    (await log.read()).map((a) => a.conditionId),
    ['first', 'long', 'after', 'back'],
  );
});

// A power cut while the reserve was being made left it at 0 bytes (or part of its zeros), and
// "there already" kept it so for good: the next full disk found no room in it.
test('a reserve left unfinished by a power cut is made again; one holding records is kept', async (t) => {
  if (!(await canMount())) return t.skip('needs root for a small tmpfs');
  const dir = smallTmpfs(t, 'rdl-alert-log-unfinished-', 256);
  const reserve = join(dir, ALERT_RESERVE_FILE);
  for (const size of [0, 4096]) {
    fs.writeFileSync(reserve, Buffer.alloc(size));
    const log = new AlertLog(dir);
    await log.keepReserve();
    assert.equal(fs.statSync(reserve).size, 64 * 1024, `made again from ${size} bytes`);
    assert.ok(
      fs.readFileSync(reserve).every((b) => b === 0),
      'zeros',
    );
  }
  // Made again, it does its work: the disk filled, a record lands in it and is read back.
  const log = new AlertLog(dir);
  await log.append(alert('first', 'The SD card is missing.', 1));
  const filler = await fill(dir);
  await fillToTheByte(filler);
  await log.append(alert('full', 'The disk is full.', 2));
  assert.deepEqual(
    (await log.read()).map((a) => a.conditionId),
    ['first', 'full'],
  );
  // A short reserve that holds a record is never thrown away (it is not one being made).
  fs.rmSync(filler);
  const held = Buffer.concat([
    Buffer.from(`${JSON.stringify(alert('kept', 'x', 3))}\n`),
    Buffer.alloc(100),
  ]);
  fs.rmSync(join(dir, 'alerts.jsonl'), { force: true });
  fs.writeFileSync(reserve, held);
  await new AlertLog(dir).keepReserve();
  assert.deepEqual(fs.readFileSync(reserve), held);
});
