// Retention and a card that is out. It ran on the card's empty mount point: it deleted, from the
// disk holding that folder, files a card-less period had left there (counted in history as removed
// from the archive), and measured that disk as the card's. Now it refuses with the archive's own
// sentence, deletes nothing, and runs at the first pass that finds the card back. A real tmpfs as
// the card, the emulator as Dropbox.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canMount, mountTmpfs, removeDir, tempDir, unmount } from '../archive/helpers.js';
import { listFilesRel, startHarness } from '../engine/harness.js';
import { runCli } from '../cli/cli-harness.js';
import { systemClock, type Clock } from '../../src/engine/ports.js';

const REL = 'RDL/USB0/2026-11/RDL_2026-11-30_USB0.txt';
const MiB = 1024 * 1024;

test('retention with the card out deletes nothing under the mount point and says why; it runs when the card is back', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  // The hub's disk, under half free (the floor below), holding the card's mount point.
  const base = await tempDir('rdl-retention-card-');
  mountTmpfs(base, 8 * 1024);
  await writeFile(join(base, 'system-files'), Buffer.alloc(5 * MiB, 1));
  const card = join(base, 'CARD');
  await mkdir(card);
  const insertCard = async (): Promise<void> => {
    mountTmpfs(card, 4 * 1024);
    // Files of the card's own that Dropbox never had, filling it past half.
    await writeFile(join(card, 'old-archive.bin'), Buffer.alloc(2.5 * MiB, 1));
  };
  await insertCard();
  // Retention runs at most every 15 minutes: the engine's clock is moved past that by hand.
  let ahead = 0;
  const clock: Clock = { now: () => Date.now() + ahead, sleep: systemClock.sleep };
  const h = await startHarness({
    engine: { clock },
    settings: {
      archiveDir: card,
      archiveMustBeMountPoint: true,
      retentionEnabled: true,
      retentionMinFreePercent: 50,
    },
  });
  try {
    await h.drop(REL, 'ts,v\n1,2\n');
    await h.engine.runPassNow();
    assert.ok(h.emulator.getFile(`/RDL/site1/${REL}`), 'on Dropbox');

    // The card is pulled; a copy of the file sits under the bare mount point, on the hub's disk
    // (left there by the old syncer, or by a time with the mount-point check off).
    unmount(card);
    await mkdir(join(card, 'RDL', 'USB0', '2026-11'), { recursive: true });
    await writeFile(join(card, ...REL.split('/')), 'ts,v\n1,2\n');

    await assert.rejects(
      h.engine.runRetention(false),
      new RegExp(
        `^SyncError: SD card not mounted at ${card}: insert it.*; retention deletes nothing until it is back$`,
      ),
    );
    ahead += 16 * 60_000;
    await h.engine.runPassNow(); // the daemon's own run, due after this pass
    const cfg = ['--config-dir', h.configDir];
    const cli = await runCli(['retention', '--dry-run', ...cfg], { home: h.root });
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    assert.match(cli.stdout + cli.stderr, /SD card not mounted at .*: insert it/);
    assert.doesNotMatch(cli.stdout, /its disk has/, 'the hub’s disk measured as the card');
    assert.deepEqual(await listFilesRel(card), [REL], 'nothing deleted under the mount point');
    assert.equal(await readFile(join(card, ...REL.split('/')), 'utf8'), 'ts,v\n1,2\n');
    const history = await runCli(['history', '--json', ...cfg], { home: h.root });
    assert.ok(
      !(JSON.parse(history.stdout) as { outcome: string }[]).some((r) => r.outcome === 'removed'),
      history.stdout,
    );

    // The card is back (with the file on it): retention runs at the next pass, not 15 minutes on.
    await removeDir(join(card, 'RDL'));
    await insertCard();
    await mkdir(join(card, 'RDL', 'USB0', '2026-11'), { recursive: true });
    await writeFile(join(card, ...REL.split('/')), 'ts,v\n1,2\n');
    await h.engine.runPassNow();
    assert.deepEqual(
      await listFilesRel(card),
      ['old-archive.bin'],
      'the card’s verified file removed by retention, its own kept',
    );
  } finally {
    await h.close();
    unmount(card);
    unmount(base);
    await removeDir(base);
  }
});
