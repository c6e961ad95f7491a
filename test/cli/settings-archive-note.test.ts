// `settings set archiveDir …` to a folder that is not there (a card not inserted or mounted
// elsewhere, a typo) saved silently: the technician learnt it only from a later status. It is still
// saved (a card comes and goes), with a note saying what happens meanwhile and what to do.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { makeDirs } from '../engine/harness.js';
import { runCli } from './cli-harness.js';
import { canMount, mountTmpfs, unmount } from '../archive/helpers.js';

test('an archive folder that is not there, or a Dropbox folder shared by every hub, is saved with a note on what to do', async () => {
  const dirs = await makeDirs('rdl-cli-archive-note-');
  try {
    const env = { home: dirs.root };
    const set = (...pairs: string[]) =>
      runCli(['settings', 'set', ...pairs, '--config-dir', dirs.configDir], env);
    const base = await set(
      'watchDir',
      dirs.watchDir,
      'transitDir',
      dirs.transitDir,
      'site',
      'Site7_Farm',
      'archiveDir',
      path.join(dirs.root, 'card'),
    );
    assert.equal(base.code, 0, base.stdout + base.stderr);
    assert.match(
      base.stdout,
      /^Note: .*card does not exist now \(no SD card is mounted there\)\. Files wait safely in transit until the card is mounted there; lsblk -o NAME,MOUNTPOINT shows where it is\.$/m,
    );

    const local = path.join(dirs.root, 'local archive');
    const r = await set('archiveMustBeMountPoint', 'false', 'archiveDir', local);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(
      r.stdout.includes(
        `Note: the archive folder ${local} does not exist now. Files wait safely in transit until it does: create it (mkdir -p '${local}') or correct the path.`,
      ),
      r.stdout,
    );
    const saved = JSON.parse(await fs.readFile(path.join(dirs.configDir, 'config.json'), 'utf8'));
    assert.equal((saved.settings ?? saved).archiveDir, local, 'saved all the same');

    // An ordinary folder, there, with a card asked for (the default): nothing would be archived.
    await fs.mkdir(local);
    const plain = await set('archiveMustBeMountPoint', 'true');
    assert.equal(plain.code, 0, plain.stdout + plain.stderr);
    assert.ok(
      plain.stdout.includes(
        `Note: ${local} is not where a card or disk is mounted now, and archiveMustBeMountPoint is true (the default: an SD card, written only while mounted): files wait in transit until a card is mounted there. For an ordinary folder, as on a lab desktop: rdl-sync settings set archiveMustBeMountPoint false`,
      ),
      plain.stdout,
    );
    await set('archiveMustBeMountPoint', 'false');

    // There: no note. Nor for a change that does not touch the archive.
    const there = await set('archiveDir', local);
    assert.equal(there.code, 0, there.stdout + there.stderr);
    assert.doesNotMatch(there.stdout, /Note:/);
    await fs.rm(local, { recursive: true });
    const other = await set('stableSeconds', '60');
    assert.doesNotMatch(other.stdout, /Note:/);

    // A Dropbox folder naming no site: every hub cloned alike would upload into it.
    const shared = await set('remoteRootTemplate', '/RDL/data');
    assert.equal(shared.code, 0, shared.stdout + shared.stderr);
    assert.match(
      shared.stdout,
      /^Note: the Dropbox folder \/RDL\/data names no \{site\} \(nor \{host\}\): every hub .* include \{site\}, e\.g\. \/RDL\/data\/\{site\}\.$/m,
    );
    const perSite = await set('remoteRootTemplate', '/RDL/{site}/{year}');
    assert.doesNotMatch(perSite.stdout, /Note:/);
  } finally {
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});

test('ignorePatterns set without the defaults says which are gone, with a command that keeps them', async () => {
  const dirs = await makeDirs('rdl-cli-ignore-note-');
  try {
    const env = { home: dirs.root };
    const set = (...pairs: string[]) =>
      runCli(['settings', 'set', ...pairs, '--config-dir', dirs.configDir], env);
    const first = await set(
      'watchDir',
      dirs.watchDir,
      'transitDir',
      dirs.transitDir,
      'site',
      'Site7_Farm',
      'archiveDir',
      dirs.archiveDir,
      'archiveMustBeMountPoint',
      'false',
      'ignorePatterns',
      '*.bak',
    );
    assert.equal(first.code, 0, first.stdout + first.stderr);
    const m =
      /^Note: ignorePatterns replaces the default list, and these defaults are no longer in it: "\.\*", "\*\.tmp", "\*\.part", .*synced from now on\. To keep them too: rdl-sync settings set ignorePatterns '([^']+)'$/m.exec(
        first.stdout,
      );
    assert.ok(m, first.stdout);
    // The command as given keeps them, and says nothing more.
    const kept = await set('ignorePatterns', m[1]!);
    assert.equal(kept.code, 0, kept.stdout + kept.stderr);
    assert.doesNotMatch(kept.stdout, /Note:/);
    const saved = JSON.parse(await fs.readFile(path.join(dirs.configDir, 'config.json'), 'utf8'));
    const patterns = (saved.settings ?? saved).ignorePatterns as string[];
    for (const p of ['*.bak', '.*', '*.tmp', '*.part']) assert.ok(patterns.includes(p), p);
  } finally {
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});

// The mount-point check turned off for a folder where a card is mounted: with the card out, files
// went into the bare folder on the disk below, counted done, and the card never got them, with no
// word at the setting. A real tmpfs as the card.
test('the mount-point check turned off for a mounted card is saved with a note on what it costs', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const dirs = await makeDirs('rdl-cli-card-off-');
  const card = path.join(dirs.root, 'CARD');
  await fs.mkdir(card);
  mountTmpfs(card, 4096);
  try {
    const env = { home: dirs.root };
    const set = (...pairs: string[]) =>
      runCli(['settings', 'set', ...pairs, '--config-dir', dirs.configDir], env);
    const on = await set(
      ...['watchDir', dirs.watchDir, 'transitDir', dirs.transitDir, 'site', 'Site7_Farm'],
      ...['archiveDir', card],
    );
    assert.equal(on.code, 0, on.stdout + on.stderr);
    assert.doesNotMatch(on.stdout, /Note:/, 'a mounted card, checked: nothing to say');
    const off = await set('archiveMustBeMountPoint', 'false');
    assert.equal(off.code, 0, off.stdout + off.stderr);
    assert.ok(
      off.stdout.includes(
        `Note: ${card} is on a mounted card or disk now, and archiveMustBeMountPoint is false: whenever it is not mounted, files are archived into the bare folder on the disk below instead`,
      ),
      off.stdout,
    );
    assert.match(off.stdout, /For a card: rdl-sync settings set archiveMustBeMountPoint true$/m);
  } finally {
    unmount(card);
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
