// An archive folder that refuses RDL Sync's writes names the fix that works there. A user trial
// had the folder owned by the user RDL Sync runs as, mode 555: the status said "sudo chown -R
// nobody … gives it", which changes nothing, as that user owns it already; the fix there is the
// owner's write permission (chmod u+w). A folder of another owner keeps the chown advice. Real
// permission bits (the CLI runs as nobody), the real CLI against the Dropbox emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli } from './cli-harness.js';
import { cannotDropPrivileges, giveTreeToNobody, NOBODY } from '../stage/unprivileged.js';

type Dirs = Awaited<ReturnType<typeof makeDirs>>;

/** `once` then `status` as nobody, over an archive folder `shut` has set up; the status's text. */
async function statusAfterOnce(
  emulator: Emulator,
  dirs: Dirs,
  shut: (archive: string) => Promise<void>,
): Promise<string> {
  await writeConfig(dirs.configDir, testSettings(dirs, emulator), emulator);
  await fs.mkdir(path.join(dirs.watchDir, 'RDL', 'USB0'), { recursive: true });
  await fs.writeFile(path.join(dirs.watchDir, 'RDL', 'USB0', 'a.csv'), 't,v\n1,2\n');
  await giveTreeToNobody(dirs.root);
  await shut(dirs.archiveDir);
  const env = { home: dirs.root, asUid: NOBODY };
  const once = await runCli(['once', '--config-dir', dirs.configDir], env);
  assert.ok(
    emulator.getFile('/RDL/site1/RDL/USB0/a.csv'),
    `Dropbox went on:\n${once.stdout}${once.stderr}`,
  );
  const status = await runCli(['status', '--config-dir', dirs.configDir], env);
  return status.stdout;
}

async function withRig(run: (emulator: Emulator, dirs: Dirs) => Promise<void>): Promise<void> {
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-cli-archive-owner-');
  try {
    await run(emulator, dirs);
  } finally {
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
}

test('an archive folder owned by the user RDL Sync runs as, without its write bit: the fix named is chmod u+w, not chown', async (t) => {
  const why = cannotDropPrivileges();
  if (why) return t.skip(why);
  await withRig(async (emulator, dirs) => {
    const out = await statusAfterOnce(emulator, dirs, (archive) => fs.chmod(archive, 0o555));
    assert.ok(
      out.includes(
        `Archive folder ${dirs.archiveDir} refuses writes (EACCES, permission denied): it belongs to the user RDL Sync runs as (nobody), whose write permission on it is off; give the owner write permission (chmod u+w ${dirs.archiveDir}); 1 file waits safely in transit`,
      ),
      out,
    );
    assert.doesNotMatch(out, /chown/, out);
  });
});

test('an archive folder of another owner: the fix named is still chown to the user RDL Sync runs as', async (t) => {
  const why = cannotDropPrivileges();
  if (why) return t.skip(why);
  await withRig(async (emulator, dirs) => {
    const out = await statusAfterOnce(emulator, dirs, async (archive) => {
      await fs.chown(archive, 0, 0);
      await fs.chmod(archive, 0o755);
    });
    assert.ok(
      out.includes(
        `Archive folder ${dirs.archiveDir} refuses writes (EACCES, permission denied): give the user RDL Sync runs as (nobody) write access (ls -ld ${dirs.archiveDir} shows its owner; sudo chown -R nobody ${dirs.archiveDir} gives it); 1 file waits safely in transit`,
      ),
      out,
    );
    assert.doesNotMatch(out, /chmod/, out);
  });
});
