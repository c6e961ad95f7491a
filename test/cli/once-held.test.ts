// A file that cannot leave the watch folder (its name too long once escaped for transit) is not
// "still being written": `once` waited out the stable time for it on every run (90 s + 10 s with
// the defaults) and then said so. Now it does not wait for it, says it could not be moved and
// why, and exits 1; a good file beside it is synced.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli } from './cli-harness.js';

type Dirs = Awaited<ReturnType<typeof makeDirs>>;

test('once neither waits for nor calls "still being written" a file that cannot be staged', async () => {
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-cli-held-');
  try {
    // A stable time longer than the command's own 45 s deadline: a wait for the file fails here.
    const settings = testSettings(dirs, emulator, { site: 'Held', stableSeconds: 600 });
    await writeConfig(dirs.configDir, settings, emulator);
    const hourAgo = new Date(Date.now() - 3_600_000);
    // 100 bytes that are not UTF-8: 304 bytes once escaped, too long for one name in transit.
    const bad = Buffer.concat([
      Buffer.from(`${dirs.watchDir}/`),
      Buffer.alloc(100, 0xff),
      Buffer.from('.csv'),
    ]);
    fs.writeFileSync(bad, 'x');
    fs.utimesSync(bad, hourAgo, hourAgo);
    const good = path.join(dirs.watchDir, 'good.csv');
    fs.writeFileSync(good, 't,v\n1,2\n');
    fs.utimesSync(good, hourAgo, hourAgo);

    const r = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(emulator.getFile('/RDL/Held/good.csv')?.size, 8);
    assert.doesNotMatch(r.stdout, /still being written/);
    assert.match(
      r.stdout,
      /^Not moved to transit: 1 file failing in the watch folder: .*\.csv \(malformed-path: .*too long for the transit folder once escaped.*shorten the file's name/m,
    );
    // Each such file is named with its own reason, not the status sentence for all of them.
    assert.doesNotMatch(r.stdout, /^Left \d+ files? in the watch folder/m);
    assert.ok(fs.existsSync(bad), 'the file stays where it is');
  } finally {
    await emulator.close();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});

/**
 * A hub whose logger's folder RDL/USB0 holds `count` files and cannot be left (chattr +i holds
 * root too); `body` runs with it, then the folder is opened and everything removed.
 */
async function withStuckFolder(
  t: TestContext,
  site: string,
  count: number,
  body: (hub: { dirs: Dirs; emulator: Emulator; stuckDir: string }) => Promise<void>,
): Promise<void> {
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-cli-held-stuck-');
  const stuckDir = path.join(dirs.watchDir, 'RDL', 'USB0');
  try {
    await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site }), emulator);
    fs.mkdirSync(stuckDir, { recursive: true });
    for (let i = 0; i < count; i++)
      fs.writeFileSync(path.join(stuckDir, `f${String(i).padStart(2, '0')}.csv`), `t,v\n${i},1\n`);
    try {
      execFileSync('chattr', ['+i', stuckDir]);
    } catch (e) {
      t.skip(`chattr +i is not possible here: ${String(e)}`);
      return;
    }
    await body({ dirs, emulator, stuckDir });
  } finally {
    spawnSync('chattr', ['-i', stuckDir]);
    await emulator.close();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
}

// Files failing in the watch folder and in transit, and a problem beside them: once gave the
// status sentence as the reason every file left in the watch folder was left, which named another
// file or another problem ("… (+4 more)"), so a person fixed the wrong thing.
test('once names each failing file with its own reason, in the watch folder and in transit', (t) =>
  withStuckFolder(t, 'Each', 1, async ({ dirs, emulator, stuckDir }) => {
    fs.mkdirSync(path.join(dirs.watchDir, 'RDL', 'USB1'), { recursive: true });
    fs.writeFileSync(path.join(dirs.watchDir, 'RDL', 'USB1', 'c.csv'), 't,v\n3,4\n');
    // A file on Dropbox where USB1's folder should be: c.csv fails in transit.
    emulator.putFile('/RDL/Each/RDL/USB1', Buffer.from('a file where a folder should be'));

    const r = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(
      r.stdout,
      /^Not moved to transit: 1 file failing in the watch folder: RDL\/USB0\/f00\.csv \(file-unreadable: Cannot move .*f00\.csv out of the watch folder/m,
      r.stdout,
    );
    assert.match(
      r.stdout,
      /^Not done: 1 file failing in transit, kept there safely: RDL\/USB1\/c\.csv \(conflict: /m,
      r.stdout,
    );
    assert.doesNotMatch(r.stdout, /^Left \d+ files? in the watch folder/m, r.stdout);
    // EPERM from an immutable folder, which refuses root too: the advice names the flag.
    assert.ok(
      r.stdout.includes(
        `(EPERM): give the user RDL Sync runs as (root) write access to the folder ${stuckDir}, and check that it is not marked immutable (lsattr -d ${stuckDir}; sudo chattr -i ${stuckDir} clears that); the file stays there`,
      ),
      r.stdout,
    );
  }));

test('once names at most 20 failing files and counts the rest: a folder of thousands is not a line of megabytes', (t) =>
  withStuckFolder(t, 'Many', 23, async ({ dirs }) => {
    const r = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const line = r.stdout.split('\n').find((l) => l.startsWith('Not moved to transit:')) ?? '';
    assert.match(
      line,
      /^Not moved to transit: 23 files failing in the watch folder: RDL\/USB0\/f00\.csv /,
    );
    assert.equal(line.match(/\(file-unreadable: /g)?.length, 20, line);
    assert.match(line, /RDL\/USB0\/f19\.csv .*; and 3 more \(the log names each\)$/);
    assert.doesNotMatch(line, /f20\.csv/);
  }));
