// Which file systems the writers' snapshot asks (src/engine/scan/writer-mounts.ts), read from
// mountinfo texts as the kernel writes them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deviceByMount, devicesOfFolders } from '../../src/engine/scan/writer-mounts.js';

const MOUNTINFO = [
  '22 1 259:2 / / rw,relatime shared:1 - ext4 /dev/root rw',
  '23 22 0:21 / /proc rw shared:2 - proc proc rw',
  '30 22 179:1 / /home/pi/SHELF3/logging-folder/2_tosync/USB\\0400 rw shared:3 - vfat /dev/sda1 rw',
  '31 22 0:40 / /media/pi/RDLCARD rw shared:4 - fuse.fusefat /dev/loop0 rw',
  '32 22 0:41 / /home/pi/SHELF3/logging-folder/2_tosync rw shared:5 - tmpfs tmpfs rw',
  '33 22 0:99 / /mnt/nfs rw shared:6 - nfs4 server:/x rw',
  '',
].join('\n');

test('each mount names its device', () => {
  const devices = deviceByMount(MOUNTINFO);
  assert.equal(devices.get('22'), '259:2');
  assert.equal(devices.get('31'), '0:40');
  assert.equal(devices.size, 6);
});

test("a folder's devices: every mount at or above it, and every mount below it", () => {
  const watch = '/home/pi/SHELF3/logging-folder/2_tosync';
  assert.deepEqual(
    [...devicesOfFolders([watch], MOUNTINFO)].sort(),
    ['0:41', '179:1', '259:2'],
    'the root, the tmpfs mounted on it, and the stick mounted inside it (a space in its name)',
  );
  assert.deepEqual(
    [...devicesOfFolders(['/home/pi/SHELF3/logging-folder/3_transit'], MOUNTINFO)],
    ['259:2'],
  );
  assert.deepEqual(
    [
      ...devicesOfFolders(
        ['/home/pi/SHELF3/logging-folder/3_transit', '/media/pi/RDLCARD/x'],
        MOUNTINFO,
      ),
    ].sort(),
    ['0:40', '259:2'],
  );
  assert.ok(!devicesOfFolders([watch], MOUNTINFO).has('0:99'), 'the NFS share is never asked');
  assert.ok(!devicesOfFolders([watch], MOUNTINFO).has('0:21'), 'nor /proc');
});

test('a file system mounted later over a parent of the folder is asked too (it hides the longer mount)', () => {
  const info = [
    '22 1 259:2 / / rw - ext4 /dev/root rw',
    '40 22 8:17 / /data/watch rw - ext4 /dev/sdb1 rw',
    '41 22 0:50 / /data rw - tmpfs tmpfs rw',
    '',
  ].join('\n');
  assert.deepEqual([...devicesOfFolders(['/data/watch'], info)].sort(), ['0:50', '259:2', '8:17']);
});
