// The run lock as the versions before this one read it. A hub put back on an older package by
// mistake keeps the new daemon running until the service restarts; an older `rdl-sync once` or
// tray app started meanwhile must see that daemon's lock as held. The version of 2026-11-24
// (7275be4) read a lock as `pid:tag`: given this version's bare JSON record it found no pid,
// took the lock over, synced beside the daemon and deleted the lock when it ended (measured
// against the real daemon: `once` ran a pass and engine.lock was gone). Its reader and its
// acquire are copied here from that commit's src/engine/run-lock.ts, unchanged but for names.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  LOCK_FILE,
  acquireRunLock,
  currentBootId,
  liveLockOwner,
  parseOwner,
  processAlive,
  processStartTime,
} from '../../src/engine/run-lock.js';

const roots: string[] = [];
after(async () => {
  for (const r of roots) await fs.rm(r, { recursive: true, force: true });
});

/** 7275be4's acquireRunLock (src/engine/run-lock.ts), the release left out. */
async function acquireAsOf20261124(configDir: string): Promise<void> {
  const file = path.join(configDir, 'engine.lock');
  const mine = `${process.pid}:${randomUUID()}`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await fs.writeFile(file, mine, { flag: 'wx', mode: 0o600 });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number((await fs.readFile(file, 'utf8').catch(() => '')).split(':')[0]);
    if (Number.isInteger(owner) && owner > 0 && processAlive(owner)) {
      throw new Error(`Another RDL Sync (pid ${owner}) is already syncing`);
    }
    // Left by a process that is gone: take it over.
    await fs.rm(file, { force: true });
  }
  throw new Error(`Could not take the lock ${file}`);
}

/** The reader of the versions from 2026-12-01 on (parseOwner) when the record is not bare JSON. */
function pidAsOf20261201(text: string): number | null {
  const m = /^(\d+)(?::(.*))?$/.exec(text.trim());
  return m ? Number(m[1]) : null;
}

test('a lock this version holds is held for the older versions too, and keeps what this one reads', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-lock-older-'));
  roots.push(dir);
  const lock = await acquireRunLock(dir, 'daemon');
  try {
    const text = await fs.readFile(path.join(dir, LOCK_FILE), 'utf8');
    await assert.rejects(
      acquireAsOf20261124(dir),
      new RegExp(`Another RDL Sync \\(pid ${process.pid}\\)`),
      'the 2026-11-24 version refuses to sync beside it',
    );
    assert.equal(
      await fs.readFile(path.join(dir, LOCK_FILE), 'utf8'),
      text,
      'and leaves the lock as it was',
    );
    assert.equal(pidAsOf20261201(text), process.pid, 'the 2026-12-01 reader finds the pid');

    // This version reads the whole record: the kind of process named in a refusal, and the boot
    // and start time that tell a reused pid.
    assert.deepEqual(
      { ...parseOwner(text), tag: '' },
      {
        pid: process.pid,
        bootId: currentBootId(),
        startTime: processStartTime(process.pid),
        tag: '',
        role: 'daemon',
      },
    );
    await assert.rejects(acquireRunLock(dir), /\(it is an `rdl-sync run` daemon\)/);
  } finally {
    await lock.release();
  }
  assert.equal(await liveLockOwner(dir), null, 'released: the lock is gone');

  // A lock written by the versions from 2026-12-01 to this one's (bare JSON) still reads whole.
  const bare = { pid: process.pid, bootId: currentBootId(), startTime: '1', tag: 't' };
  assert.deepEqual(parseOwner(JSON.stringify({ ...bare, role: 'service' })), {
    ...bare,
    role: 'service',
  });
});
