// A folder of the archive that refuses new files (made by hand as root, or marked immutable) while
// the rest of the archive takes them. Before, each file bound there was reported as a name the
// card refuses ("FAT and exFAT file systems refuse …: rename the file … or move the archive to a
// disk formatted as ext4"): a person renamed good files while the folder stayed locked. Now each
// fails alone naming the folder and the fix, and every other file goes on. Real permission bits
// (the CLI runs as nobody, as a hub's service runs as pi) and a real immutable flag, the real CLI
// (`rdl-sync once`) against the Dropbox emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { listFilesRel, makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli } from '../cli/cli-harness.js';
import { cannotDropPrivileges, giveTreeToNobody, NOBODY } from '../stage/unprivileged.js';

type Dirs = Awaited<ReturnType<typeof makeDirs>>;

/** The logger's three files: one for a folder that takes them, two for the locked folder USB1. */
async function writeLoggerFiles(dirs: Dirs): Promise<void> {
  for (const rel of ['RDL/USB0/fine.csv', 'RDL/USB1/locked.csv', 'RDL/USB1/deeper/below.csv']) {
    const p = path.join(dirs.watchDir, rel);
    await fs.mkdir(path.dirname(p), { recursive: true });
    await fs.writeFile(p, `time,t\n0,${rel.length}\n`);
  }
}

/** What every case checks: the folder named with its fix, nothing about names, the rest moved. */
async function assertOnlyTheLockedFolderFails(
  out: string,
  dirs: Dirs,
  emulator: Emulator,
  code: string,
): Promise<void> {
  const locked = path.join(dirs.archiveDir, 'RDL', 'USB1');
  assert.doesNotMatch(out, /does not accept the name|FAT and exFAT/, out);
  assert.ok(out.includes(`the folder ${locked} refuses new files and folders (${code})`), out);
  assert.ok(out.includes(`lsattr -d ${locked}`), out);
  assert.match(out, /The file waits in transit; nothing is lost/, out);
  // Nothing runs on after a `once` to make a try "that comes by itself".
  assert.match(out, /`rdl-sync sync` tries again at once \(a plain `rdl-sync once` may leave/, out);
  assert.doesNotMatch(out, /comes by itself/, out);
  // The folder takes nothing; the file beside it went on, and Dropbox took all three.
  assert.deepEqual(await listFilesRel(dirs.archiveDir), ['RDL/USB0/fine.csv'], out);
  for (const rel of ['RDL/USB0/fine.csv', 'RDL/USB1/locked.csv', 'RDL/USB1/deeper/below.csv'])
    assert.ok(emulator.getFile(`/RDL/site1/${rel}`), `${rel} on Dropbox\n${out}`);
  assert.deepEqual(
    (await listFilesRel(dirs.transitDir)).filter((r) => r.startsWith('RDL/')).sort(),
    ['RDL/USB1/deeper/below.csv', 'RDL/USB1/locked.csv'],
    'the two files wait in transit',
  );
}

test('an archive folder its user may not write: only its files fail, naming the folder', async (t) => {
  const why = cannotDropPrivileges();
  if (why) return t.skip(why);
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-locked-folder-');
  try {
    await writeConfig(dirs.configDir, testSettings(dirs, emulator), emulator);
    await fs.mkdir(dirs.transitDir, { recursive: true });
    await writeLoggerFiles(dirs);
    // USB1 made by hand as root (mode 755) in an archive that belongs to nobody.
    await fs.mkdir(path.join(dirs.archiveDir, 'RDL', 'USB1'), { recursive: true });
    await giveTreeToNobody(dirs.root);
    await fs.chown(path.join(dirs.archiveDir, 'RDL', 'USB1'), 0, 0);

    const r = await runCli(['once', '--config-dir', dirs.configDir], {
      home: dirs.root,
      asUid: NOBODY,
    });
    const out = r.stdout + r.stderr;
    await assertOnlyTheLockedFolderFails(out, dirs, emulator, 'EACCES');
    assert.match(out, /RDL Sync runs as nobody/, out);
    assert.equal(r.code, 1, out);
  } finally {
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});

test('an immutable archive folder: only its files fail, naming the folder and chattr', async (t) => {
  const dirs = await makeDirs('rdl-immutable-folder-');
  const locked = path.join(dirs.archiveDir, 'RDL', 'USB1');
  await fs.mkdir(locked, { recursive: true });
  const chattr = spawnSync('chattr', ['+i', locked], { encoding: 'utf8' });
  if (chattr.status !== 0) {
    await fs.rm(dirs.root, { recursive: true, force: true });
    return t.skip(`chattr +i is not possible here: ${chattr.stderr || chattr.error?.message}`);
  }
  const emulator = await startEmulator({});
  try {
    await writeConfig(dirs.configDir, testSettings(dirs, emulator), emulator);
    await writeLoggerFiles(dirs);
    const r = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
    const out = r.stdout + r.stderr;
    await assertOnlyTheLockedFolderFails(out, dirs, emulator, 'EPERM');
    assert.ok(out.includes(`sudo chattr -i ${locked} clears that`), out);
    assert.equal(r.code, 1, out);
  } finally {
    spawnSync('chattr', ['-i', locked]);
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
