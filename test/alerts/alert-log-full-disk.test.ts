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
