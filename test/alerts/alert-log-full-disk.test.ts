// The alert log on a settings disk filling up (a hub's one card): the log keeps a reserve
// (alerts.reserve) that a record meeting a full disk frees and is written in, so the "disk full"
// raise is known to the next start, which then sends its "resolved". With the reserve used up, a
// line is on the disk whole, or its append fails (the alert still goes out, alert-service.ts says
// so), never cut short and counted written. A real tmpfs filled to the byte.
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

test('an alert on a full disk is written in the reserve; once that is used, one that does not fit fails; the next one, once there is room, is read back', async (t) => {
  if (!(await canMount())) return t.skip('needs root for a small tmpfs');
  const dir = smallTmpfs(t, 'rdl-alert-log-full-', 256);
  const log = new AlertLog(dir);
  await log.append(alert('first', 'The SD card is missing.', 1));
  assert.ok(fs.existsSync(join(dir, ALERT_RESERVE_FILE)), 'the first record made the reserve');
  let filler = await fill(dir);
  await fillToTheByte(filler);

  // Longer than the room left in the log's last page: a single write() stored what fitted.
  const long = (id: string, atMs: number): Alert =>
    alert(id, `No new files from RDL/USB0. ${'x'.repeat(6000)}`, atMs);
  await log.append(long('disk-nearly-full:/home/pi', 2));
  assert.ok(!fs.existsSync(join(dir, ALERT_RESERVE_FILE)), 'the reserve gave its room');

  // The reserve used, the disk full again: the next record does not fit, and fails.
  filler = join(dir, 'filler2');
  fs.writeFileSync(filler, '');
  await fillToTheByte(filler);
  await assert.rejects(log.append(long('source-silent:RDL/USB0', 3)), { code: 'ENOSPC' });

  fs.rmSync(join(dir, 'filler'));
  fs.rmSync(filler);
  await log.append(alert('archive-missing', 'The SD card is back.', 4));
  assert.deepEqual(
    (await log.read()).map((a) => a.conditionId),
    ['first', 'disk-nearly-full:/home/pi', 'archive-missing'],
    'the alerts written whole are read back; none is lost to a line cut before it',
  );
  assert.ok(fs.existsSync(join(dir, ALERT_RESERVE_FILE)), 'the reserve made again with room back');
});
