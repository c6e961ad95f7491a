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

test('refused writes of a root its user owns already, without the write bit: chmod u+w, never chown', () => {
  const user = runningUser();
  const own = { isRunningUser: true, ownerMayWrite: false };
  const folder = archiveReadOnly(
    { root: '/home/pi/4 synced', card: false },
    'EACCES',
    undefined,
    own,
  ).message;
  assert.equal(
    folder,
    `Archive folder /home/pi/4 synced refuses writes (EACCES, permission denied): it belongs to the user RDL Sync runs as (${user}), whose write permission on it is off; give the owner write permission (chmod u+w '/home/pi/4 synced'); files wait safely in transit`,
  );
  const card = archiveReadOnly(
    { root: '/media/card', card: true },
    'EACCES',
    undefined,
    own,
  ).message;
  assert.match(
    card,
    /\(chmod u\+w \/media\/card on an ext4 card; a FAT or exFAT card takes its permissions from its mount: mount it with umask=022\)/,
  );
  for (const message of [folder, card]) assert.doesNotMatch(message, /chown/);
  // Another owner, or the owner's write bit on (the refusal is not the mode's): chown, as before.
  for (const owner of [
    { isRunningUser: false, ownerMayWrite: false },
    { isRunningUser: true, ownerMayWrite: true },
  ])
    assert.match(
      archiveReadOnly({ root: '/srv/a', card: false }, 'EACCES', undefined, owner).message,
      /sudo chown -R \S+ \/srv\/a gives it\)/,
    );
});
