// A file in transit its owner cannot read (mode 000 given after its move: a chmod by hand) fails
// alone on both legs; the SD card is not blamed and every other file still reaches it. Run as
// the unprivileged user nobody (permission bits do not bind root), with the real CLI
// (`rdl-sync once`) against the Dropbox emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { listFilesRel, makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { repo } from '../cli/cli-harness.js';
import { cannotDropPrivileges, giveTreeToNobody, nodeAsNobody } from '../stage/unprivileged.js';

const ONCE_DEADLINE_MS = 90_000;

/** `rdl-sync once` as nobody; resolves with what it printed (never rejects on its exit code). */
function onceAsNobody(configDir: string, home: string): Promise<string> {
  const child = spawn(
    'setpriv',
    nodeAsNobody(path.join(repo, 'src/cli/main.ts'), 'once', '--config-dir', configDir),
    {
      cwd: repo,
      env: { ...process.env, HOME: home, XDG_CACHE_HOME: path.join(home, '.cache') },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`rdl-sync once did not finish in ${ONCE_DEADLINE_MS} ms:\n${out}`));
    }, ONCE_DEADLINE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(out);
    });
  });
}

test('a file its owner cannot read fails alone; the SD card is not blamed', async (t) => {
  const why = cannotDropPrivileges();
  if (why) return t.skip(why);
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-unreadable-own-');
  try {
    // Everything belongs to nobody, as a hub's folders belong to the user `pi`; transit and the
    // card on one disk, so the card's copy is a hard link (the owner may link its own file).
    await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Own' }), emulator);
    await fs.mkdir(dirs.transitDir, { recursive: true });
    // Made unreadable in transit, after its staging (a file unreadable in the watch folder stays
    // there: test/stage/stage-permissions): the legs meet it there.
    const locked = path.join(dirs.transitDir, 'RDL', 'USB0', 'a-locked.csv');
    const fine = path.join(dirs.watchDir, 'RDL', 'USB0', 'b-fine.csv');
    await fs.mkdir(path.dirname(locked), { recursive: true });
    await fs.mkdir(path.dirname(fine), { recursive: true });
    await fs.writeFile(locked, 'time,t\n0,1\n');
    await fs.writeFile(fine, 'time,t\n0,2\n');
    await giveTreeToNobody(dirs.root);
    await fs.chmod(locked, 0o000);

    const out = await onceAsNobody(dirs.configDir, dirs.root);
    // Before: linking the file worked (its owner may), reading the link back did not, and that
    // was taken for the card refusing writes: "SD card … refuses writes (EACCES …)", the archive
    // leg blocked for every file.
    assert.doesNotMatch(out, /refuses writes/, out);
    assert.match(out, /a-locked\.csv/, out);
    assert.deepEqual(await listFilesRel(dirs.archiveDir), ['RDL/USB0/b-fine.csv'], out);
    assert.ok(emulator.getFile('/RDL/Own/RDL/USB0/b-fine.csv'), out);
    assert.ok(
      (await listFilesRel(dirs.transitDir)).includes('RDL/USB0/a-locked.csv'),
      'the unreadable file waits in transit',
    );
  } finally {
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
