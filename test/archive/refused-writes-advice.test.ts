// An archive that refuses RDL Sync's writes (EACCES: made by root, or a FAT card mounted for
// another user) is told with the commands that show and change its owner, as the immutable-folder
// message names lsattr and chattr: "give the user … write access" alone left a person guessing
// how. A card is told both ways, since a FAT or exFAT card has no owners of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { archiveReadOnly } from '../../src/engine/archive/problems.js';
import { runningUser } from '../../src/engine/fsutil/running-user.js';

test('refused writes name the owner commands; a card names its mount as well', () => {
  const user = runningUser();
  const card = archiveReadOnly({ root: '/media/sd card', card: true }, 'EACCES').message;
  assert.equal(
    card,
    `SD card at /media/sd card refuses writes (EACCES, permission denied): give the user RDL Sync runs as (${user}) write access (ls -ld '/media/sd card' shows its owner; sudo chown -R ${user} '/media/sd card' gives it on an ext4 card; a FAT or exFAT card takes its owner from its mount: mount it with uid=${user}); files wait safely in transit`,
  );
  const folder = archiveReadOnly({ root: '/home/pi/4_synced', card: false }, 'EPERM').message;
  assert.match(
    folder,
    new RegExp(
      `\\(ls -ld /home/pi/4_synced shows its owner; sudo chown -R ${user} /home/pi/4_synced gives it\\); files wait`,
    ),
  );
  assert.doesNotMatch(folder, /card|uid=/, 'a folder on the hub’s disk is no card');
});
