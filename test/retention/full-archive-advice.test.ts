// A full archive folder, and its disk nearly full, on a real small tmpfs holding a hub's logging
// folder: the advice follows the retention setting. "Turn on retention" is said only while it is
// off; with it on, the problem says why it has not freed enough (the oldest files are not on
// Dropbox, or Dropbox is not connected, so nothing can be confirmed there).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { canMount, mountTmpfs, removeDir, tempDir, unmount } from '../archive/helpers.js';
import { startHarness } from '../engine/harness.js';
import { systemClock, type Clock } from '../../src/engine/ports.js';
import type { Problem } from '../../src/engine/index.js';
import { retentionShortfall, type RetentionReport } from '../../src/engine/retention/retention.js';

const MiB = 1024 * 1024;

test('a full archive folder: "turn on retention" only while it is off; with it on, why it has not freed enough', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  const disk = await tempDir('rdl-full-archive-');
  mountTmpfs(disk, 8 * 1024);
  const folder = join(disk, 'logging-folder');
  const watchDir = join(folder, '2_tosync');
  const transitDir = join(folder, '3_transit');
  const archiveDir = join(folder, '4_synced');
  // An old archive file Dropbox never had (the old syncer's), filling the disk to 0.5 MiB free.
  await mkdir(join(archiveDir, 'RDL', 'USB0'), { recursive: true });
  await writeFile(join(archiveDir, 'RDL', 'USB0', 'old.txt'), Buffer.alloc(7.5 * MiB, 1));
  // Retention runs at most every 15 minutes: the engine's clock is moved past that by hand.
  let ahead = 0;
  const clock: Clock = { now: () => Date.now() + ahead, sleep: systemClock.sleep };
  const h = await startHarness({
    settings: { watchDir, transitDir, archiveDir },
    engine: { clock },
  });
  const problem = (code: string): Problem | undefined =>
    h.engine.getStatus().problems.find((p) => p.code === code);
  try {
    await mkdir(join(watchDir, 'RDL', 'USB0'), { recursive: true });
    await writeFile(join(watchDir, 'RDL', 'USB0', 'today.txt'), 'ts,v\n1,2\n');

    await h.engine.runPassNow();
    const off = problem('archive-full');
    assert.ok(off, JSON.stringify(h.engine.getStatus().problems));
    assert.match(off.message, /free space on its disk, or turn on retention in settings/);
    assert.match(problem('disk-nearly-full')?.message ?? '', /or turn on archive retention/);

    // Retention on: the first pass finds the archive full before retention has run after it.
    const on = await h.engine.saveSettings({ ...h.engine.getSettings(), retentionEnabled: true });
    assert.ok(on.ok);
    await h.engine.runPassNow();
    await h.engine.runPassNow();
    const kept = problem('archive-full');
    assert.ok(kept);
    t.diagnostic(kept.message);
    // Before: "turn on retention in settings" to a person whose retention was on.
    assert.doesNotMatch(kept.message, /turn on retention/);
    assert.match(
      kept.message,
      /free space on its disk; retention is on but its last run freed 0 B of the .* its limits ask for: it deletes only files confirmed on Dropbox, and kept 1 file not on Dropbox; 1 file waits safely in transit\.$/,
    );
    const nearlyFull = problem('disk-nearly-full')?.message ?? '';
    assert.doesNotMatch(nearlyFull, /turn on archive retention/);
    assert.match(nearlyFull, /free space \(archive retention is on\) before it fills/);

    // Its limits changed (what the advice sends a person to do): retention runs after the next
    // pass, not up to 15 minutes later, and the advice speaks of the new limits.
    const asked = (m: string): string =>
      /freed 0 B of the (.*?) its limits ask for/.exec(m)?.[1] ?? m;
    const tighter = await h.engine.saveSettings({
      ...h.engine.getSettings(),
      retentionMaxArchiveGiB: 0.001,
    });
    assert.ok(tighter.ok);
    await h.engine.runPassNow();
    await h.engine.runPassNow();
    const retold = problem('archive-full')?.message ?? '';
    t.diagnostic(retold);
    assert.notEqual(asked(retold), asked(kept.message), retold);

    // Dropbox disconnected: no archive file can be confirmed on Dropbox, so retention waits.
    await h.engine.disconnectDropbox();
    ahead += 16 * 60_000;
    await h.engine.runPassNow();
    await h.engine.runPassNow();
    const waits = problem('archive-full');
    assert.ok(waits);
    t.diagnostic(waits.message);
    assert.match(
      waits.message,
      /retention is on but could not run \(Dropbox is not connected: retention deletes only files verified on Dropbox, so it waits\)/,
    );
  } finally {
    await h.close();
    unmount(disk);
    await removeDir(disk);
  }
});

test('what a retention run says after "retention is on but", for each way it falls short', () => {
  const run = (over: Partial<RetentionReport>): RetentionReport => ({
    dryRun: false,
    archiveBytes: 10 * MiB,
    freeBytes: 0,
    totalBytes: 12 * MiB,
    bytesToFree: 2 * MiB,
    removed: [],
    kept: [],
    freedBytes: 0,
    ...over,
  });
  assert.equal(
    retentionShortfall(run({ bytesToFree: 0 })),
    'its limits ask for nothing to be freed: raise its free-space floor in settings',
  );
  assert.equal(
    retentionShortfall(run({ freedBytes: 2 * MiB })),
    'its last run freed 2.1 MB, all its limits asked for: raise its free-space floor in settings',
  );
  assert.equal(
    retentionShortfall(run({ archiveBytes: MiB, freedBytes: MiB })),
    'its last run freed 1.0 MB of the 2.1 MB its limits ask for: the archive holds only 1.0 MB, other files fill the disk',
  );
  // Dropbox offline: no file could be confirmed there.
  assert.equal(
    retentionShortfall(
      run({
        kept: [
          { rel: 'a', reason: 'Dropbox could not be asked (Dropbox could not be reached)' },
          { rel: 'b', reason: 'Dropbox could not be asked (Dropbox could not be reached)' },
          { rel: 'c', reason: 'still queued in transit (not done yet)' },
        ],
      }),
    ),
    'its last run freed 0 B of the 2.1 MB its limits ask for: it deletes only files confirmed on Dropbox, and kept 2 files not checked (Dropbox did not answer), 1 file still queued in transit',
  );
});
