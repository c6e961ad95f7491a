// A finished file's entry whose deletion never reached the disk, met again by another file of the
// same name that got the freed inode number. The sequence (crash torture's open residual): a
// file is finished (its mark saved, its transit copy removed), the settings disk fills before the
// deletion of its entry is saved, another file of the same name comes, and the process is killed.
// The next process found the finished mark of the same name and inode, took the new file for a
// later version of the finished one (file-version.ts finishedYetHere), and its legs replaced the
// finished file's copies on Dropbox and the card: the card lost the first file's bytes.
//
// Real parts: the settings disk is a tmpfs filled to the byte at the instant the finished file
// leaves transit (so the mark's save succeeded and the deletion's fails), and transit is a
// loop-mounted ext4 left with two free inodes, so the cross-disk copy of the new file (the
// reserved folder first, then the copy's temporary) gets the freed number every time: ext4 hands
// out the lowest free inode of the group. The kill is the journal and history closed while the
// disk refuses every save: what is on disk is what the kill left.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { History } from '../../src/engine/history/index.js';
import { Journal } from '../../src/engine/journal/index.js';
import type { PassDeps } from '../../src/engine/pipeline/deps.js';
import { passDepsFor } from '../pipeline/pass-rig.js';
import { newPassMemory, runPass, type PassReport } from '../../src/engine/pipeline/pass.js';
import { systemClock, type Clock } from '../../src/engine/ports.js';
import type { Settings } from '../../src/engine/settings/schema.js';
import { listFilesRel, makeDirs, testSettings } from '../engine/harness.js';
import {
  canMountExt4,
  fill,
  fillToTheByte,
  mountExt4Image,
  mountTmpfs,
  unmount,
} from '../archive/helpers.js';

const HOUR_MS = 3_600_000;

interface Process {
  deps: PassDeps;
  pass(): Promise<PassReport>;
  /** Stops without a word: every save the disk refuses now is lost, as a kill loses it. */
  kill(): Promise<void>;
}

async function startProcess(
  settings: Settings,
  configDir: string,
  emulator: Emulator,
  clock: Clock,
): Promise<Process> {
  const journal = await Journal.open(path.join(configDir, 'journal.json'));
  const history = await History.open(path.join(configDir, 'history.jsonl'), 1000);
  const deps = passDepsFor(settings, emulator, emulator.issueRefreshToken(), {
    journal,
    history,
    clock,
  });
  const memory = newPassMemory();
  return {
    deps,
    pass: () => runPass(deps, memory, new AbortController().signal),
    async kill() {
      await journal.close().catch(() => {});
      await history.close().catch(() => {});
    },
  };
}

test('a file finished while the settings disk filled, then another file of its name on the freed inode and a kill: the finished file keeps its copies', async (t) => {
  if (!(await canMountExt4())) return t.skip('this sandbox cannot loop-mount ext4');
  const dirs = await makeDirs('rdl-reused-inode-');
  const emulator = await startEmulator({});
  const transitDisk = path.join(dirs.root, 'transit-disk');
  await fs.mkdir(transitDisk);
  await fs.mkdir(dirs.configDir);
  const unmountTransit = await mountExt4Image(transitDisk, 16, 16);
  mountTmpfs(dirs.configDir, 1024);
  try {
    const transitDir = path.join(transitDisk, 'transit');
    await fs.mkdir(transitDir);
    // Two inodes left: the reserved folder of a cross-disk copy, and the copy itself.
    const fillers = path.join(transitDisk, 'fillers');
    await fs.mkdir(fillers);
    const { ffree } = await fs.statfs(transitDisk);
    for (let i = 0; i < ffree - 2; i++) await fs.writeFile(path.join(fillers, `f${i}`), '');
    assert.equal((await fs.statfs(transitDisk)).ffree, 2);

    const settings = testSettings({ ...dirs, transitDir }, emulator);
    let offset = 0;
    const clock: Clock = {
      now: () => systemClock.now() + offset,
      monotonic: () => performance.now() + offset,
      sleep: systemClock.sleep,
    };
    const rel = 'RDL_2026-12-03_USB0.txt';
    const first = 'time,value\n2026-12-03 00:00,1\n';
    // Another file, not the first one grown: a copy holding exactly a file's beginning is that
    // file cut short, which the whole file replaces (placement.ts earlierCutShort).
    const second = 'time,value\n2026-12-03 00:10,2\n2026-12-03 00:20,3\n';
    const drop = (content: string): Promise<void> =>
      fs.writeFile(path.join(dirs.watchDir, rel), content);

    // The first process finishes the first file; as it leaves transit, the disk holding the
    // settings fills up (loggers writing to the same card): the deletion of its entry is not saved.
    const one = await startProcess(settings, dirs.configDir, emulator, clock);
    let freedIno: number | undefined;
    let filler: string | undefined;
    const remove = one.deps.removeFromTransit;
    one.deps.removeFromTransit = async (r, opts) => {
      freedIno = (await fs.lstat(path.join(transitDir, r))).ino;
      await remove(r, opts);
      filler = await fill(dirs.configDir);
      await fillToTheByte(filler);
      // A save appended to the journal's log lands while the log's last page has room for it: a
      // deletion's short line did here, where a longer line (several files removed at once)
      // needs a new page. The page is padded to its end with blank lines (a reader skips them).
      const log = path.join(dirs.configDir, 'journal.json.log');
      const { size } = await fs.stat(log);
      await fs.appendFile(log, '\n'.repeat((4096 - (size % 4096)) % 4096));
    };
    await drop(first);
    await assert.rejects(one.pass(), /ENOSPC/, 'the save at the end of the pass is refused');
    assert.deepEqual(await listFilesRel(transitDir), [], 'the first file left transit');
    assert.ok(freedIno !== undefined && filler !== undefined);

    // The logger writes the next file of the same name; a pass runs, and the process is killed.
    let stagedIno: number | undefined;
    const watchStaged = (p: Process): void => {
      const stage = p.deps.stage;
      p.deps.stage = async (file) => {
        const outcome = await stage(file);
        if (outcome.status === 'staged') stagedIno = (await fs.lstat(outcome.transitPath)).ino;
        return outcome;
      };
    };
    watchStaged(one);
    await drop(second);
    offset += HOUR_MS;
    await one.pass().catch(() => {}); // nothing can be saved
    const waitedInWatch = await fs
      .readFile(path.join(dirs.watchDir, rel), 'utf8')
      .catch(() => null);
    await one.kill();

    // Room again; the next process finishes what is left.
    await fs.rm(filler);
    const two = await startProcess(settings, dirs.configDir, emulator, clock);
    watchStaged(two);
    for (let i = 0; i < 6; i++) {
      offset += HOUR_MS; // past any settling wait
      await two.pass();
      const left = [...(await listFilesRel(transitDir)), ...(await listFilesRel(dirs.watchDir))];
      if (left.length === 0) break;
    }
    await two.kill();

    assert.equal(stagedIno, freedIno, 'the second file got the first one`s inode number');
    assert.deepEqual(await listFilesRel(transitDir), [], 'transit drained');
    assert.deepEqual(await listFilesRel(dirs.watchDir), [], 'the watch folder drained');
    const onCard = async (name: string): Promise<string | null> =>
      fs.readFile(path.join(dirs.archiveDir, name), 'utf8').catch(() => null);
    assert.equal(await onCard(rel), first, 'the first file`s card copy is not replaced');
    assert.equal(await onCard('RDL_2026-12-03_USB0 (1).txt'), second, 'the second file beside it');
    const onDropbox = async (name: string): Promise<string | null> =>
      (await emulator.readFile(`/RDL/site1/${name}`).catch(() => null))?.toString('utf8') ?? null;
    assert.equal(await onDropbox(rel), first, 'the first file on Dropbox is not replaced');
    assert.equal(await onDropbox('RDL_2026-12-03_USB0 (1).txt'), second);
    // While nothing could be saved, the second file waited in the watch folder.
    assert.equal(waitedInWatch, second);
  } finally {
    unmount(dirs.configDir);
    await unmountTransit();
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
