// Archive retention against the Dropbox emulator through the real SDK: only files whose Dropbox
// copy holds the same bytes at that moment are deleted, oldest first; a file missing or different
// on Dropbox is kept and named; --dry-run deletes nothing; every deletion is in the history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { link, mkdir, readdir, stat, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHarness, type Harness } from '../engine/harness.js';
import { runCli } from '../cli/cli-harness.js';

const DAY = 86_400_000;

/** Archive files with the given ages in days; the emulator holds some, one with other bytes. */
async function seed(h: Harness): Promise<Record<string, string>> {
  const files: Record<string, [string, number, 'same' | 'absent' | 'different']> = {
    'RDL/USB0/2026-10/RDL_2026-10-01_USB0.txt': ['oldest, on Dropbox\n'.repeat(40), 60, 'same'],
    'RDL/USB0/2026-10/RDL_2026-10-02_USB0.txt': ['old, never uploaded\n'.repeat(40), 59, 'absent'],
    'RDL/USB0/2026-10/RDL_2026-10-03_USB0.txt': ['old, edited since\n'.repeat(40), 58, 'different'],
    'cameras/reolink1/2026-10-04/2026-10-04_10_15.jpg': [
      'jpeg bytes on Dropbox\n'.repeat(40),
      57,
      'same',
    ],
    'RDL/USB0/2026-11/RDL_2026-11-29_USB0.txt': ['newest, on Dropbox\n'.repeat(40), 1, 'same'],
  };
  const now = Date.now();
  const bodies: Record<string, string> = {};
  for (const [rel, [line, ageDays, remote]] of Object.entries(files)) {
    const p = join(h.archiveDir, ...rel.split('/'));
    await mkdir(join(p, '..'), { recursive: true });
    const body = line.repeat(60).slice(0, 760); // every file 760 bytes: the sums below are exact
    await writeFile(p, body);
    const t = (now - ageDays * DAY) / 1000;
    await utimes(p, t, t);
    if (remote === 'same') h.emulator.putFile(`/RDL/site1/${rel}`, Buffer.from(body));
    if (remote === 'different') h.emulator.putFile(`/RDL/site1/${rel}`, Buffer.from(`${body}x`));
    bodies[rel] = body;
  }
  return bodies;
}

async function onCard(h: Harness): Promise<string[]> {
  return (await readdir(h.archiveDir, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(h.archiveDir.length + 1))
    .sort();
}

test('retention deletes only files verified on Dropbox, oldest first; missing or different ones are kept', async (t) => {
  // Five files of 760 bytes; a 2400-byte limit asks for 1400 bytes: two verified files go.
  const h = await startHarness({
    settings: { retentionMaxArchiveGiB: 2400 / 1024 ** 3, retentionMinFreePercent: 0 },
  });
  try {
    const bodies = await seed(h);
    const all = Object.keys(bodies).sort();
    h.emulator.resetStats();
    const dry = await h.engine.runRetention(true);
    t.diagnostic(JSON.stringify(dry));
    assert.equal(dry.dryRun, true);
    assert.equal(dry.archiveBytes, 5 * 760);
    assert.equal(dry.bytesToFree, 5 * 760 - 2400);
    assert.deepEqual(
      dry.removed.map((r) => r.rel),
      [
        'RDL/USB0/2026-10/RDL_2026-10-01_USB0.txt',
        'cameras/reolink1/2026-10-04/2026-10-04_10_15.jpg',
      ],
    );
    assert.deepEqual(dry.kept, [
      { rel: 'RDL/USB0/2026-10/RDL_2026-10-02_USB0.txt', reason: 'not on Dropbox' },
      { rel: 'RDL/USB0/2026-10/RDL_2026-10-03_USB0.txt', reason: 'different on Dropbox' },
    ]);
    assert.equal(h.emulator.stats()['files/get_metadata'], 4, 'one metadata call per file checked');
    assert.deepEqual(await onCard(h), all, 'a dry run deletes nothing');
    assert.equal(h.engine.queryHistory({}).length, 0);

    // The CLI, as a technician runs it: --dry-run lists, then the real run deletes.
    const cfg = ['--config-dir', h.configDir];
    await h.engine.stop();
    const listed = await runCli(['retention', '--dry-run', ...cfg], { home: h.root });
    t.diagnostic(listed.stdout);
    assert.equal(listed.code, 0, listed.stdout + listed.stderr);
    assert.match(listed.stdout, /^would delete {2}RDL\/USB0\/2026-10\/RDL_2026-10-01_USB0\.txt/m);
    assert.match(
      listed.stdout,
      /^kept {2}RDL\/USB0\/2026-10\/RDL_2026-10-02_USB0\.txt: not on Dropbox$/m,
    );
    assert.match(
      listed.stdout,
      /^kept {2}RDL\/USB0\/2026-10\/RDL_2026-10-03_USB0\.txt: different on Dropbox$/m,
    );
    assert.deepEqual(await onCard(h), all);

    const ran = await runCli(['retention', ...cfg], { home: h.root });
    t.diagnostic(ran.stdout);
    assert.equal(ran.code, 0, ran.stdout + ran.stderr);
    assert.deepEqual(await onCard(h), [
      'RDL/USB0/2026-10/RDL_2026-10-02_USB0.txt',
      'RDL/USB0/2026-10/RDL_2026-10-03_USB0.txt',
      'RDL/USB0/2026-11/RDL_2026-11-29_USB0.txt',
    ]);
    await assert.rejects(
      stat(join(h.archiveDir, 'cameras')),
      { code: 'ENOENT' },
      'empty folders pruned',
    );
    const history = await runCli(['history', ...cfg], { home: h.root });
    assert.match(
      history.stdout,
      /REMOVED {2}RDL\/USB0\/2026-10\/RDL_2026-10-01_USB0\.txt .* dropbox: already there {2}archive: removed by retention$/m,
    );
    assert.match(history.stdout, /REMOVED {2}cameras\/reolink1\/2026-10-04\/2026-10-04_10_15\.jpg/);
    const json = JSON.parse(
      (await runCli(['history', '--json', ...cfg], { home: h.root })).stdout,
    ) as { rel: string; outcome: string; upload: { path: string } }[];
    assert.deepEqual(json.map((r) => [r.outcome, r.rel, r.upload.path]).sort(), [
      [
        'archive-removed',
        'RDL/USB0/2026-10/RDL_2026-10-01_USB0.txt',
        '/RDL/site1/RDL/USB0/2026-10/RDL_2026-10-01_USB0.txt',
      ],
      [
        'archive-removed',
        'cameras/reolink1/2026-10-04/2026-10-04_10_15.jpg',
        '/RDL/site1/cameras/reolink1/2026-10-04/2026-10-04_10_15.jpg',
      ],
    ]);
  } finally {
    await h.close();
  }
});

test('retention on in the settings: the daemon’s pass runs it; a file still linked to transit is kept; Dropbox not connected: nothing deleted', async () => {
  const settings = {
    retentionEnabled: true,
    retentionMaxArchiveGiB: 1 / 1024 ** 3,
    retentionMinFreePercent: 0,
  };
  const h = await startHarness({ settings });
  try {
    await seed(h);
    await h.engine.runPassNow();
    assert.deepEqual(await onCard(h), [
      'RDL/USB0/2026-10/RDL_2026-10-02_USB0.txt',
      'RDL/USB0/2026-10/RDL_2026-10-03_USB0.txt',
    ]);
    assert.equal(
      h.engine.queryHistory({}).filter((r) => r.outcome === 'archive-removed').length,
      3,
    );
  } finally {
    await h.close();
  }

  const q = await startHarness({ settings });
  try {
    await seed(q);
    // A file whose transit copy is still queued (a hard link to it): not done, never deleted.
    const queued = 'RDL/USB0/2026-10/RDL_2026-10-01_USB0.txt';
    await mkdir(join(q.transitDir, 'RDL', 'USB0', '2026-10'), { recursive: true });
    await link(join(q.archiveDir, ...queued.split('/')), join(q.transitDir, ...queued.split('/')));
    const r = await q.engine.runRetention(false);
    assert.deepEqual(r.kept[0], { rel: queued, reason: 'still queued in transit (not done yet)' });
    assert.ok((await onCard(q)).includes(queued));
  } finally {
    await q.close();
  }

  const off = await startHarness({ connect: false, settings });
  try {
    await seed(off);
    const before = await onCard(off);
    await assert.rejects(off.engine.runRetention(false), /Dropbox is not connected/);
    await off.engine.runPassNow();
    assert.deepEqual(await onCard(off), before);
  } finally {
    await off.close();
  }
});

test('a remote folder named by the date: retention finds the copy in the month of its upload, not of its mtime', async () => {
  // Before: retention asked Dropbox only in the folder of the file's mtime month, while the upload
  // went to the month of the upload. A file written last month and uploaded this month (a week
  // offline, a day's file finished at midnight) was "not on Dropbox" and never freed; so was one
  // written while the hub's clock read 1970 (a Pi before NTP).
  const h = await startHarness({
    settings: {
      remoteRootTemplate: '/RDL/{site}/{year}-{month}',
      retentionMaxArchiveGiB: 1 / 1024 ** 3, // one byte: everything verified may go
      retentionMinFreePercent: 0,
    },
  });
  try {
    const month = (ms: number): string => {
      const d = new Date(ms);
      return `/RDL/site1/${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;
    };
    const written: Record<string, number> = {
      'RDL/USB0/last-month.txt': Date.now() - 40 * DAY,
      'RDL/USB0/before-ntp.txt': Date.UTC(1970, 0, 3),
    };
    for (const [rel, ms] of Object.entries(written)) {
      const p = await h.drop(rel, `${rel}\n`.repeat(50));
      await utimes(p, ms / 1000, ms / 1000);
    }
    await h.engine.runPassNow();
    const uploaded = h.emulator
      .listFiles()
      .map((f) => f.pathDisplay)
      .sort();
    assert.deepEqual(
      uploaded,
      Object.keys(written)
        .map((rel) => `${month(Date.now())}/${rel}`)
        .sort(),
      'uploaded into the month of the upload',
    );
    // An older copy with other bytes in the mtime month's folder is not the one that counts.
    h.emulator.putFile(
      `${month(written['RDL/USB0/last-month.txt']!)}/RDL/USB0/last-month.txt`,
      Buffer.from('an earlier version\n'),
    );
    const report = await h.engine.runRetention(false);
    assert.deepEqual(report.kept, []);
    assert.deepEqual(report.removed.map((r) => r.rel).sort(), Object.keys(written).sort());
    assert.deepEqual(await onCard(h), []);
  } finally {
    await h.close();
  }
});
