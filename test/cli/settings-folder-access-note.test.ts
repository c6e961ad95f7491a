// `settings set` as the hub's user, of folders that user may not use: an archive below a folder
// only its owner may enter (/root/..., a desktop's /media/<user>/) was said "not to exist", with
// a `mkdir -p` the user could not run there; an archive folder there but refusing this user's
// writes, and a watch folder this user may not read, were saved without a word, and only a later
// status said that nothing moved. Saved all the same (the rights may be given next), with a note
// naming the user and the fix. Real permission bits: the CLI runs as nobody.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { makeDirs } from '../engine/harness.js';
import { runCli, type CliEnv } from './cli-harness.js';
import { cannotDropPrivileges, giveTreeToNobody, NOBODY } from '../stage/unprivileged.js';

test('folders this user may not use are saved with a note naming the user and the fix', async (t) => {
  const why = cannotDropPrivileges();
  if (why) return t.skip(why);
  const dirs = await makeDirs('rdl-cli-folder-access-');
  try {
    await giveTreeToNobody(dirs.root);
    // Root's: one shut to others (as /root is), one open to look at but not to write.
    const shut = path.join(dirs.root, 'shut');
    const rootOwned = path.join(dirs.root, 'root-owned');
    await fs.mkdir(path.join(shut, 'w'), { recursive: true });
    await fs.mkdir(path.join(shut, 'archive'));
    await fs.chmod(shut, 0o700);
    await fs.mkdir(rootOwned, { mode: 0o755 });
    const env: CliEnv = { home: dirs.root, asUid: NOBODY };
    const set = (...pairs: string[]) =>
      runCli(['settings', 'set', ...pairs, '--config-dir', dirs.configDir], env);
    const base = await set(
      ...['watchDir', dirs.watchDir, 'transitDir', dirs.transitDir, 'site', 'Site7_Farm'],
      ...['archiveDir', dirs.archiveDir, 'archiveMustBeMountPoint', 'false'],
    );
    assert.equal(base.code, 0, base.stdout + base.stderr);
    assert.doesNotMatch(base.stdout, /Note:/, 'folders of its own: nothing to say');

    const hidden = path.join(shut, 'archive');
    const r1 = await set('archiveDir', hidden);
    assert.equal(r1.code, 0, r1.stdout + r1.stderr);
    assert.ok(
      r1.stdout.includes(
        `Note: the archive folder ${hidden} cannot be looked at by this user (nobody, EACCES): a folder above it lets only its owner in. Files wait safely in transit until this user may reach it: give nobody access to it and to the folders above it, or choose another folder.`,
      ),
      r1.stdout,
    );
    assert.doesNotMatch(r1.stdout, /does not exist|mkdir/, r1.stdout);

    const r2 = await set('archiveDir', rootOwned);
    assert.equal(r2.code, 0, r2.stdout + r2.stderr);
    assert.ok(
      r2.stdout.includes(
        `Note: the archive folder ${rootOwned} refuses writes by this user (nobody, EACCES): files wait safely in transit until it takes them. ls -ld ${rootOwned} shows its owner; sudo chown -R nobody ${rootOwned} gives it to nobody.`,
      ),
      r2.stdout,
    );

    const watch = path.join(shut, 'w');
    const r3 = await set('watchDir', watch, 'archiveDir', dirs.archiveDir);
    assert.equal(r3.code, 0, r3.stdout + r3.stderr);
    assert.ok(
      r3.stdout.includes(
        `Note: the watch folder ${watch} cannot be read by this user (nobody, EACCES): nothing in it is synced until it can. Give nobody read access to it and to the folders above it (ls -ld shows their owners), or choose another folder.`,
      ),
      r3.stdout,
    );
    const saved = JSON.parse(await fs.readFile(path.join(dirs.configDir, 'config.json'), 'utf8'));
    assert.equal((saved.settings ?? saved).watchDir, watch, 'saved all the same');
  } finally {
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
