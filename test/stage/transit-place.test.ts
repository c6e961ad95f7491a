// The look at the transit folder each pass makes before staging (stage/transit-place.ts), on real
// mounts: a transit folder is made on a first run, but never in the mount point of a disk that is
// out (under /mnt, where hubs mount disks), and one that existed is never made anew; a transit
// folder that was a disk's mount point and is now a plain folder is not the queue. A real tmpfs
// mounted under /mnt is the disk, as in test/archive/folder-on-card.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { lookAtTransit } from '../../src/engine/stage/index.js';
import { canMount, mountTmpfs, removeDir, tempDir, unmount } from '../archive/helpers.js';

const nothingQueued = () => false;

test('under /mnt: made on the disk when it is mounted, refused (and nothing made) when it is out', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  await mkdir('/mnt', { recursive: true });
  const place = await mkdtemp('/mnt/rdl-transit-test-');
  const disk = join(place, 'DISK');
  const transit = join(disk, 'transit');
  await mkdir(disk);
  try {
    // A first run with the disk out: the folder would be made on the disk below.
    const out = await lookAtTransit(transit, null, nothingQueued);
    assert.equal(out.problem?.code, 'transit-missing');
    assert.match(out.problem?.message ?? '', /no disk is mounted there: mount it/);
    assert.deepEqual(await readdir(disk), [], 'nothing made in the mount point');

    mountTmpfs(disk, 1024);
    const first = await lookAtTransit(transit, null, nothingQueued);
    assert.equal(first.problem, null);
    assert.equal(first.problem === null && first.created, true, 'made on the mounted disk');
    assert.ok((await stat(transit)).isDirectory());

    // The disk itself as the transit folder: its own disk while mounted.
    const own = await lookAtTransit(disk, null, nothingQueued);
    assert.deepEqual(own, { problem: null, place: { ownDisk: true }, created: false });
    unmount(disk);
    // Known as a mount point: now the folder on the disk below is not the queue.
    const gone = await lookAtTransit(disk, { ownDisk: true }, nothingQueued);
    assert.match(gone.problem?.message ?? '', /is not mounted any more .*: mount it again/);
    // A process started since (nothing known): still refused, by where it is.
    const restarted = await lookAtTransit(disk, null, nothingQueued);
    assert.match(restarted.problem?.message ?? '', /no disk is mounted there/);
    assert.deepEqual(await readdir(disk), []);
  } finally {
    unmount(disk);
    await removeDir(place);
  }
});

test('elsewhere: a missing transit folder is made on a first run only, never once it held the queue', async () => {
  const base = await tempDir('rdl-transit-place-');
  try {
    const transit = join(base, 'rdl', 'transit');
    const queued = await lookAtTransit(transit, null, () => true);
    assert.equal(queued.problem?.code, 'transit-missing', 'the journal knows files there');
    assert.match(queued.problem?.message ?? '', /is gone: if its disk is not mounted, mount it/);
    assert.match(queued.problem?.message ?? '', /mkdir -p /);
    const known = await lookAtTransit(transit, { ownDisk: false }, nothingQueued);
    assert.equal(known.problem?.code, 'transit-missing', 'this process saw it');
    await assert.rejects(stat(transit), 'not made');

    const fresh = await lookAtTransit(transit, null, nothingQueued);
    assert.deepEqual(fresh, { problem: null, place: { ownDisk: false }, created: true });
    assert.ok((await stat(transit)).isDirectory());
  } finally {
    await removeDir(base);
  }
});
