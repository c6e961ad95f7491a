// The alert log on a settings disk filling up (a hub's one card): a line is on the disk whole, or
// its append fails (the alert still goes out, alert-service.ts says so), never cut short and
// counted written. A real tmpfs filled to the byte.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { AlertLog } from '../../src/engine/alerts/alert-log.js';
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

test('an alert that does not fit on a full disk fails to append; the next one, once there is room, is read back', async (t) => {
  if (!(await canMount())) return t.skip('needs root for a small tmpfs');
  const dir = smallTmpfs(t, 'rdl-alert-log-full-', 256);
  const log = new AlertLog(dir);
  await log.append(alert('first', 'The SD card is missing.', 1));
  const filler = await fill(dir);
  await fillToTheByte(filler);

  // Longer than the room left in the log's last page: a single write() stored what fitted.
  const long = alert(
    'source-silent:RDL/USB0',
    `No new files from RDL/USB0. ${'x'.repeat(6000)}`,
    2,
  );
  await assert.rejects(log.append(long), { code: 'ENOSPC' }, 'it does not fit: it fails');

  fs.rmSync(filler);
  await log.append(alert('archive-missing', 'The SD card is back.', 3));
  assert.deepEqual(
    (await log.read()).map((a) => a.conditionId),
    ['first', 'archive-missing'],
    'the alerts written whole are read back; none is lost to a line cut before it',
  );
});
