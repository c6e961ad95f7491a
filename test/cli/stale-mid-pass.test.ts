// `rdl-sync status` reads status.json, which a daemon whose settings disk was remounted read-only
// can no longer write. Frozen in the middle of a pass ("Syncing 1 file…", next pass "running
// now"), it was never called stale: the check looked only at the next pass due, which a running
// pass does not have. Seen as an intermittent failure of read-only-card.test.ts on a loaded
// machine (the remount fell inside a pass). A real tmpfs remounted read-only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { staleStatusReason } from '../../src/cli/stale-status.js';
import { canMount, mountTmpfs, remountReadOnly, unmount } from '../archive/helpers.js';

const MIN = 60_000;

test('a status written mid-pass is stale once the settings folder cannot be written; a long pass on a writable folder is not', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-stale-mid-pass-'));
  const card = path.join(root, 'card');
  await fs.mkdir(card);
  mountTmpfs(card, 1024);
  try {
    const now = Date.now();
    const midPass = {
      updatedAtMs: now - 10 * MIN,
      status: { nextPassMs: null, paused: false, passRunning: true },
    };
    // Writable, written a minute ago in the middle of a long pass: current.
    assert.equal(await staleStatusReason(card, { ...midPass, updatedAtMs: now - MIN }, now), null);
    // Writable, but not written for 10 minutes: a running daemon writes it at least once a
    // minute (a keep-alive), changed or not, so the process has stopped running. Found by an
    // integrity trial (kill -STOP mid-upload: "Syncing 1 file…" shown as current for good).
    assert.match(
      (await staleStatusReason(card, midPass, now)) ?? '',
      /^This status was written 10 min ago and the daemon has not updated it since: it may be stuck \(a frozen process/,
    );
    // Waiting for settings (no pass running, none due): nothing to say, writable or not.
    const waiting = { ...midPass, status: { ...midPass.status, passRunning: false } };
    remountReadOnly(card);
    assert.equal(await staleStatusReason(card, waiting, now), null);
    // The card went read-only during the pass: stale, with the cause and the fix.
    const reason = await staleStatusReason(card, midPass, now);
    assert.match(
      reason ?? '',
      /^This status was written 10 min ago and the daemon has not updated it since: The settings folder .*card cannot be written \(EROFS\)/,
    );
    // Just written: not stale yet.
    assert.equal(
      await staleStatusReason(card, { ...midPass, updatedAtMs: now - 20_000 }, now),
      null,
    );
    // An idle daemon whose next pass is not even due: the folder cannot be written, so what it
    // shows stopped moving 40 s ago. Found by an operator trial (shown as current).
    const idle = {
      updatedAtMs: now - 40_000,
      status: { nextPassMs: now + 5 * MIN, paused: false, passRunning: false },
    };
    assert.match(
      (await staleStatusReason(card, idle, now)) ?? '',
      /^This status was written less than a minute ago and the daemon has not updated it since: The settings folder .* \(EROFS\)/,
    );
  } finally {
    unmount(card);
    await fs.rm(root, { recursive: true, force: true });
  }
});
