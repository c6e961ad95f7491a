// The transit folder on a disk of its own (a USB disk, a second card), unmounted while files wait
// in it. A walk of what was left (the empty mount point, or no folder at all) read as "transit
// emptied": every journal entry was forgotten with an info line, and the next file was staged
// into the mount point on the disk below, where it was hidden once the disk came back. Now the
// transit folder's problem names it and the fix, files wait in the watch folder, the journal
// keeps its entries, and all goes on once the disk is back. A transit folder a person really
// emptied is still forgotten, at warn level, naming the files. Real parts: a tmpfs as the disk,
// moved away and back (mount --move keeps its files, as a disk unplugged and plugged back in
// does), the engine, the emulator (Dropbox not connected, so the files stay in transit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { listFilesRel, recordingLogger, withHarness, type Harness } from './harness.js';
import { canMount, mountTmpfs, unmount } from '../archive/helpers.js';
import { Journal } from '../../src/engine/journal/index.js';
import { createEngine } from '../../src/engine/engine.js';

function moveMount(from: string, to: string): void {
  const r = spawnSync('mount', ['--move', from, to], { encoding: 'utf8' });
  assert.equal(r.status, 0, `mount --move ${from} ${to}: ${r.stderr}`);
}

/**
 * A disk of its own (a tmpfs) mounted at `mountPoint`; `unplug` moves it to `parked` (mount
 * --move keeps its files, as a disk unplugged and plugged back in does), `plugIn` moves it back.
 */
function pluggableDisk(mountPoint: string, parked: string) {
  mountTmpfs(mountPoint, 1024);
  let at = mountPoint;
  return {
    unplug(): void {
      moveMount(mountPoint, parked);
      at = parked;
    },
    plugIn(): void {
      moveMount(parked, mountPoint);
      at = mountPoint;
    },
    /** Wherever it is now. */
    unmount: (): void => unmount(at),
  };
}

/** The rels the engine's journal keeps, as a restart would read them (each pass saves it). */
async function journalRels(h: Harness): Promise<string[]> {
  const journal = await Journal.open(path.join(h.configDir, 'journal.json'));
  return journal.rels().sort();
}

/** The harness's transit folder made the mount point of a pluggable disk of its own. */
async function transitOnItsOwnDisk(h: Harness) {
  const parked = path.join(h.root, 'parked');
  await fs.mkdir(parked);
  await fs.mkdir(h.transitDir);
  return pluggableDisk(h.transitDir, parked);
}

const transitProblem = (h: Harness) =>
  h.engine.getStatus().problems.find((p) => p.id === 'transit-missing');

test('transit is the mount point of its own disk, unmounted: nothing staged into the mount point, nothing forgotten, all goes on once it is back', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  const logger = recordingLogger();
  await withHarness({ connect: false, engine: { logger } }, async (h) => {
    const disk = await transitOnItsOwnDisk(h);
    try {
      await h.drop('USB0/a.csv', 'a\n1\n');
      await h.drop('USB0/b.csv', 'b\n2\n');
      const first = await h.engine.runPassNow();
      assert.equal(first.staged, 2);
      assert.deepEqual(await listFilesRel(h.transitDir), ['USB0/a.csv', 'USB0/b.csv']);
      assert.deepEqual(await journalRels(h), ['USB0/a.csv', 'USB0/b.csv']);

      // The disk goes away: its mount point stays, an empty folder on the disk below.
      disk.unplug();
      await h.drop('USB0/c.csv', 'c\n3\n');
      const away = await h.engine.runPassNow();
      assert.equal(away.staged, 0, 'nothing staged while the disk is away');
      assert.deepEqual(await fs.readdir(h.transitDir), [], 'nothing written into the mount point');
      assert.equal(await fs.readFile(path.join(h.watchDir, 'USB0', 'c.csv'), 'utf8'), 'c\n3\n');
      assert.deepEqual(await journalRels(h), ['USB0/a.csv', 'USB0/b.csv'], 'the queue is kept');
      const problem = transitProblem(h);
      assert.ok(problem, 'a problem names the transit folder');
      assert.equal(problem.severity, 'attention');
      assert.match(problem.message, new RegExp(`transit folder ${h.transitDir} is not mounted`));
      assert.match(problem.message, /mount it again/);
      assert.match(problem.message, /files wait in the watch folder/);
      assert.ok(
        !logger.lines.some((l) => /forg[eo]t/.test(l.message)),
        'no entry forgotten, not even in the log',
      );
      // A second pass while it stays away: the same.
      await h.engine.runPassNow();
      assert.deepEqual(await fs.readdir(h.transitDir), []);
      assert.deepEqual(await journalRels(h), ['USB0/a.csv', 'USB0/b.csv']);

      // The disk is back: the waiting file is staged beside the others, the problem is gone.
      disk.plugIn();
      const back = await h.engine.runPassNow();
      assert.equal(back.staged, 1);
      assert.equal(transitProblem(h), undefined, 'the problem cleared');
      assert.deepEqual(await listFilesRel(h.transitDir), [
        'USB0/a.csv',
        'USB0/b.csv',
        'USB0/c.csv',
      ]);
      assert.deepEqual(await journalRels(h), ['USB0/a.csv', 'USB0/b.csv', 'USB0/c.csv']);
    } finally {
      disk.unmount();
    }
  });
});

test('restarted while the transit disk is unmounted: the record of its disk says so, nothing staged into the mount point, nothing forgotten', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  await withHarness({ connect: false }, async (h) => {
    const disk = await transitOnItsOwnDisk(h);
    try {
      await h.drop('USB0/a.csv', 'a\n1\n');
      assert.equal((await h.engine.runPassNow()).staged, 1);
      const record = JSON.parse(
        await fs.readFile(path.join(h.configDir, 'transit-disk.json'), 'utf8'),
      ) as { ownDisk: string };
      assert.equal(record.ownDisk, h.transitDir, 'the first look recorded a disk of its own');
      await h.engine.stop();

      // A reboot with the disk left out: the new process finds only the empty mount point.
      disk.unplug();
      await h.drop('USB0/b.csv', 'b\n2\n');
      const logger = recordingLogger();
      const restarted = await createEngine({ configDir: h.configDir, home: h.root, logger });
      try {
        const away = await restarted.runPassNow();
        assert.equal(away.staged, 0, 'nothing staged while the disk is away');
        assert.deepEqual(
          await fs.readdir(h.transitDir),
          [],
          'nothing written into the mount point',
        );
        assert.equal(await fs.readFile(path.join(h.watchDir, 'USB0', 'b.csv'), 'utf8'), 'b\n2\n');
        assert.deepEqual(await journalRels(h), ['USB0/a.csv'], 'the queue is kept');
        const problem = restarted.getStatus().problems.find((p) => p.id === 'transit-missing');
        assert.ok(problem, 'a problem names the transit folder');
        assert.match(problem.message, new RegExp(`transit folder ${h.transitDir} is not mounted`));
        assert.match(problem.message, /mount it again/);
        assert.match(problem.message, /choose another transit folder in settings/);
        assert.ok(!logger.lines.some((l) => /forg[eo]t/.test(l.message)), 'nothing forgotten');

        disk.plugIn();
        const back = await restarted.runPassNow();
        assert.equal(back.staged, 1);
        assert.equal(
          restarted.getStatus().problems.find((p) => p.id === 'transit-missing'),
          undefined,
        );
        assert.deepEqual(await listFilesRel(h.transitDir), ['USB0/a.csv', 'USB0/b.csv']);
        assert.deepEqual(await journalRels(h), ['USB0/a.csv', 'USB0/b.csv']);
      } finally {
        await restarted.stop();
      }
    } finally {
      disk.unmount();
    }
  });
});

test('a transit folder chosen anew is not judged by the record of another one', async (t) => {
  const other = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-transit-other-'));
  t.after(() => fs.rm(other, { recursive: true, force: true }));
  await withHarness({ connect: false }, async (h) => {
    // The record names a transit folder that was a disk of its own, and is not this one.
    await fs.writeFile(
      path.join(h.configDir, 'transit-disk.json'),
      JSON.stringify({ version: 1, ownDisk: other }),
    );
    await h.drop('a.csv', 'a\n1\n');
    assert.equal((await h.engine.runPassNow()).staged, 1, "a folder on the hub's disk is used");
    assert.equal(transitProblem(h), undefined);
  });
});

test('transit below the mount point of a disk that is unmounted: the folder is not made anew, nothing forgotten', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  const logger = recordingLogger();
  // The disk, mounted before the engine starts; transit is a folder on it, made by the first run.
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-transit-disk-'));
  const disk = path.join(base, 'disk');
  const parked = path.join(base, 'parked');
  const transit = path.join(disk, 'transit');
  await fs.mkdir(disk);
  await fs.mkdir(parked);
  const plugged = pluggableDisk(disk, parked);
  t.after(async () => {
    plugged.unmount();
    await fs.rm(base, { recursive: true, force: true });
  });
  await withHarness(
    { connect: false, engine: { logger }, settings: { transitDir: transit } },
    async (h) => {
      await h.drop('a.csv', 'a\n1\n');
      const first = await h.engine.runPassNow();
      assert.equal(first.staged, 1, 'a first run makes its transit folder');
      assert.deepEqual(await listFilesRel(transit), ['a.csv']);

      plugged.unplug();
      await h.drop('b.csv', 'b\n2\n');
      const away = await h.engine.runPassNow();
      assert.equal(away.staged, 0);
      assert.deepEqual(await fs.readdir(disk), [], 'no transit folder made in the mount point');
      assert.equal(await fs.readFile(path.join(h.watchDir, 'b.csv'), 'utf8'), 'b\n2\n');
      assert.deepEqual(await journalRels(h), ['a.csv'], 'the queue is kept');
      const problem = transitProblem(h);
      assert.ok(problem, 'a problem names the transit folder');
      assert.match(problem.message, new RegExp(`transit folder ${transit} is gone`));
      assert.match(problem.message, /if its disk is not mounted, mount it/);
      assert.ok(!logger.lines.some((l) => /forg[eo]t/.test(l.message)));

      plugged.plugIn();
      const back = await h.engine.runPassNow();
      assert.equal(back.staged, 1);
      assert.equal(transitProblem(h), undefined);
      assert.deepEqual(await listFilesRel(transit), ['a.csv', 'b.csv']);
    },
  );
});

test('a transit folder a person emptied: its entries are forgotten, said at warn level naming the files', async () => {
  const logger = recordingLogger();
  await withHarness({ connect: false, engine: { logger } }, async (h) => {
    for (let i = 0; i < 25; i++) await h.drop(`USB0/f${String(i).padStart(2, '0')}.csv`, `${i}\n`);
    const first = await h.engine.runPassNow();
    assert.equal(first.staged, 25, 'a first run makes its transit folder');
    assert.equal((await journalRels(h)).length, 25);

    // Taken out by hand (say, copied somewhere else), the folder itself left in place.
    await fs.rm(path.join(h.transitDir, 'USB0'), { recursive: true });
    await h.engine.runPassNow();
    assert.deepEqual(await journalRels(h), [], 'forgotten: a later file of the same name is new');
    assert.equal(transitProblem(h), undefined, 'a transit folder that is there is no problem');
    const said = logger.lines.filter((l) => l.level === 'warn' && /left transit/.test(l.message));
    assert.equal(said.length, 1, JSON.stringify(logger.lines.filter((l) => l.level !== 'debug')));
    const fields = said[0]!.fields!;
    assert.equal(fields.forgotten, 25);
    assert.equal((fields.files as string[]).length, 20, 'a bounded list');
    assert.ok((fields.files as string[]).includes('USB0/f00.csv'));
    assert.equal(fields.notNamed, 5, 'and a count of the rest');
  });
});
