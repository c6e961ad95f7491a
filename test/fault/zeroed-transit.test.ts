// A failing SD card returns zeros for a file it can no longer read: the same file (inode, size,
// time), now all zero bytes. The hubs keep transit on the card. A leg that copies it then verifies
// zeros, the legs disagree, and both used to run again, replacing the good copy the other leg had
// verified with zeros (Dropbox's by its revision): the data gone from every copy but Dropbox's
// version history.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { dropboxContentHash } from '../../tools/emulator/index.js';
import { DROPBOX_BLOCK_SIZE } from '../../src/engine/fsutil/index.js';
import { ZEROED_RECHECKS_PER_PASS, zeroContentHash } from '../../src/engine/pipeline/zeroed.js';
import { listFilesRel, withHarness } from '../engine/harness.js';
import { canMount, mountTmpfs, unmount } from '../archive/helpers.js';

/** Overwrites the file's bytes with zeros in place and puts its times back, as a dying card shows it. */
async function turnToZeros(file: string): Promise<void> {
  const before = await fs.stat(file, { bigint: true });
  const handle = await fs.open(file, 'r+');
  try {
    await handle.write(Buffer.alloc(Number(before.size)), 0, Number(before.size), 0);
  } finally {
    await handle.close();
  }
  // To the nanosecond (utimes from JavaScript rounds to the microsecond).
  const ns = before.mtimeNs % 1_000_000_000n;
  const time = `@${before.mtimeNs / 1_000_000_000n}.${String(ns).padStart(9, '0')}`;
  execFileSync('touch', ['-m', '-d', time, file]);
  const after = await fs.stat(file, { bigint: true });
  assert.equal(after.ino, before.ino);
  assert.equal(after.mtimeNs, before.mtimeNs);
}

test('a transit file a failing card turned to zeros never replaces the good copy on Dropbox; it is held and named', async () => {
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  await withHarness({ engine: { clock } }, async (h) => {
    const rel = 'RDL/USB0/RDL_2026-12-02_USB0.txt';
    const body = Buffer.from('time,value\n2026-12-02T00:00:00Z,21.5\n'.repeat(40));
    const good = dropboxContentHash(body);
    // The card folder is away: the file reaches Dropbox and waits in transit for the archive.
    await fs.rm(h.archiveDir, { recursive: true });
    await h.drop(rel, body);
    await h.engine.runPassNow();
    assert.equal(h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash, good);

    await turnToZeros(path.join(h.transitDir, ...rel.split('/')));
    await fs.mkdir(h.archiveDir);
    // Passes until the file is done or they stop changing anything (bounded either way).
    for (let i = 0; i < 6; i++) {
      await h.engine.runPassNow();
      offsetMs += 3_600_000; // past any settle or back-off
    }
    assert.equal(
      h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash,
      good,
      'the verified copy on Dropbox still holds the real bytes',
    );
    assert.deepEqual(
      h.emulator.listFiles().map((f) => f.pathDisplay),
      [`/RDL/site1/${rel}`],
      'no second copy',
    );
    const transit = await fs.readFile(path.join(h.transitDir, ...rel.split('/')));
    assert.equal(transit.length, body.length, 'the transit file is kept for a person to look at');
    const problem = h.engine.getStatus().problems.find((p) => p.message.includes(rel));
    assert.ok(problem, 'a problem names the file');
    assert.match(problem.message, /reads as .* of zeros/);
    assert.match(
      problem.message,
      /Dropbox \(\/RDL\/site1\/RDL\/USB0\/RDL_2026-12-02_USB0\.txt\) was verified/,
    );
  });
});

test('a transit file turned to zeros after its card copy is not sent to Dropbox: held, named', async () => {
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  await withHarness({ engine: { clock } }, async (h) => {
    const rel = 'RDL/USB0/RDL_2026-12-03_USB0.txt';
    const body = Buffer.from('time,value\n2026-12-03T00:00:00Z,19.0\n'.repeat(40));
    // Dropbox full: the file reaches the card and waits in transit for Dropbox.
    h.emulator.setQuota(0);
    await h.drop(rel, body);
    await h.engine.runPassNow();
    assert.equal(h.emulator.getFile(`/RDL/site1/${rel}`), undefined);

    await turnToZeros(path.join(h.transitDir, ...rel.split('/')));
    h.emulator.setQuota(1024 ** 4);
    for (let i = 0; i < 4; i++) {
      await h.engine.runPassNow();
      offsetMs += 3_600_000;
    }
    // Before: the zeros went to Dropbox under the file's name (a .txt the merge tool reads).
    assert.deepEqual(h.emulator.listFiles(), [], 'no zeros on Dropbox');
    const transit = await fs.readFile(path.join(h.transitDir, ...rel.split('/')));
    assert.equal(transit.length, body.length, 'the transit file is kept');
    const problem = h.engine.getStatus().problems.find((p) => p.message.includes(rel));
    assert.ok(problem, 'a problem names the file');
    assert.match(problem.message, /reads as .* of zeros/);
  });
});

test('the content hash of zeros is computed without reading them, and equals the real one', () => {
  for (const size of [1, 4096, DROPBOX_BLOCK_SIZE, DROPBOX_BLOCK_SIZE + 1, 2 * DROPBOX_BLOCK_SIZE])
    assert.equal(zeroContentHash(size), dropboxContentHash(Buffer.alloc(size)), `${size} bytes`);
});

test('a zeroed file held, then the real file put back in transit as a new file: it replaces the zeroed card copy, no "(1)"', async () => {
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  await withHarness({ engine: { clock } }, async (h) => {
    const rel = 'RDL/USB0/RDL_2026-12-04_USB0.txt';
    const body = Buffer.from('time,value\n2026-12-04T00:00:00Z,7.5\n'.repeat(40));
    const transit = path.join(h.transitDir, ...rel.split('/'));
    const card = path.join(h.archiveDir, ...rel.split('/'));
    // A hub: transit and the archive on one disk, the card copy a hard link of the transit file.
    await fs.rm(h.archiveDir, { recursive: true });
    await h.drop(rel, body);
    await h.engine.runPassNow();
    await turnToZeros(transit);
    await fs.mkdir(h.archiveDir);
    for (let i = 0; i < 3; i++) {
      await h.engine.runPassNow();
      offsetMs += 3_600_000;
    }
    assert.deepEqual(
      await fs.readFile(card),
      Buffer.alloc(body.length),
      'the card link reads zeros',
    );
    assert.ok(h.engine.getStatus().problems.some((p) => /reads as .* of zeros/.test(p.message)));

    // The person does what the problem says: the real file back in transit (a download moved
    // into place: another inode).
    const download = path.join(h.root, 'download.txt');
    await fs.writeFile(download, body);
    await fs.rename(download, transit);
    for (let i = 0; i < 4 && (await listFilesRel(h.transitDir)).length > 0; i++) {
      await h.engine.runPassNow();
      offsetMs += 3_600_000;
    }
    assert.deepEqual(await listFilesRel(h.transitDir), [], 'the file left transit');
    assert.deepEqual(
      (await listFilesRel(h.archiveDir)).filter((f) => !f.startsWith('.')),
      [rel],
      'one card copy, no "(1)"',
    );
    assert.deepEqual(await fs.readFile(card), body, 'the card copy holds the real bytes again');
    assert.equal(h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash, dropboxContentHash(body));
    assert.ok(!h.engine.getStatus().problems.some((p) => p.message.includes(rel)), 'problem gone');
  });
});

/** Writes `body` back over the file in place and puts its times back: the card reads right again. */
async function realBytesBack(file: string, body: Buffer): Promise<void> {
  const before = await fs.stat(file, { bigint: true });
  const handle = await fs.open(file, 'r+');
  try {
    await handle.write(body, 0, body.length, 0);
  } finally {
    await handle.close();
  }
  const ns = before.mtimeNs % 1_000_000_000n;
  const time = `@${before.mtimeNs / 1_000_000_000n}.${String(ns).padStart(9, '0')}`;
  execFileSync('touch', ['-m', '-d', time, file]);
  const after = await fs.stat(file, { bigint: true });
  assert.equal(after.ino, before.ino);
  assert.equal(after.size, before.size);
  assert.equal(after.mtimeNs, before.mtimeNs);
}

test('a file held as zeros whose real bytes come back in place (same inode, size, time) is released: done, no "(1)"; it is re-read at its back-off, not every pass', async () => {
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  await withHarness({ engine: { clock } }, async (h) => {
    const rel = 'RDL/USB0/RDL_2026-12-08_USB0.txt';
    const body = Buffer.from('time,value\n2026-12-08T00:00:00Z,9.5\n'.repeat(40));
    const good = dropboxContentHash(body);
    const transit = path.join(h.transitDir, ...rel.split('/'));
    const card = path.join(h.archiveDir, ...rel.split('/'));
    // The card folder away: the file reaches Dropbox, then reads as zeros; the card copy (a hard
    // link of the transit file, as on a hub) is made of the zeros and the file is held.
    await fs.rm(h.archiveDir, { recursive: true });
    await h.drop(rel, body);
    await h.engine.runPassNow();
    await turnToZeros(transit);
    await fs.mkdir(h.archiveDir);
    await h.engine.runPassNow();
    await h.engine.runPassNow();
    assert.ok(h.engine.getStatus().problems.some((p) => /reads as .* of zeros/.test(p.message)));

    // The card gives the real bytes back (a reader re-seated). Before the file's back-off the
    // held file is not read again: passes go on holding it.
    await realBytesBack(transit, body);
    await h.engine.runPassNow();
    await h.engine.runPassNow();
    assert.deepEqual(await listFilesRel(h.transitDir), [rel], 'not re-read before its back-off');
    assert.ok(h.engine.getStatus().problems.some((p) => /reads as .* of zeros/.test(p.message)));

    // Past it, the re-read finds the bytes the Dropbox copy was verified with: the hold ends.
    for (let i = 0; i < 4 && (await listFilesRel(h.transitDir)).length > 0; i++) {
      offsetMs += 3_600_000;
      await h.engine.runPassNow();
    }
    assert.deepEqual(await listFilesRel(h.transitDir), [], 'the file left transit');
    assert.deepEqual(
      h.emulator.listFiles().map((f) => f.pathDisplay),
      [`/RDL/site1/${rel}`],
      'one copy on Dropbox',
    );
    assert.equal(h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash, good);
    assert.deepEqual(
      (await listFilesRel(h.archiveDir)).filter((f) => !f.startsWith('.')),
      [rel],
      'one card copy, no "(1)"',
    );
    assert.deepEqual(await fs.readFile(card), body, 'the card copy holds the real bytes');
    assert.ok(!h.engine.getStatus().problems.some((p) => p.message.includes(rel)), 'problem gone');
    assert.equal(h.engine.queryHistory({})[0]?.outcome, 'done');
  });
});

test('a file held as zeros before Dropbox got it, its real bytes back in place: released, the real bytes go to Dropbox', async () => {
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  await withHarness({ engine: { clock } }, async (h) => {
    const rel = 'RDL/USB0/RDL_2026-12-09_USB0.txt';
    const body = Buffer.from('time,value\n2026-12-09T00:00:00Z,11.0\n'.repeat(40));
    h.emulator.setQuota(0);
    await h.drop(rel, body);
    await h.engine.runPassNow();
    const transit = path.join(h.transitDir, ...rel.split('/'));
    await turnToZeros(transit);
    h.emulator.setQuota(1024 ** 4);
    await h.engine.runPassNow();
    assert.deepEqual(h.emulator.listFiles(), [], 'no zeros on Dropbox');
    await realBytesBack(transit, body);
    for (let i = 0; i < 4 && (await listFilesRel(h.transitDir)).length > 0; i++) {
      offsetMs += 3_600_000;
      await h.engine.runPassNow();
    }
    assert.deepEqual(await listFilesRel(h.transitDir), [], 'the file left transit');
    assert.deepEqual(
      h.emulator.listFiles().map((f) => [f.pathDisplay, f.contentHash]),
      [[`/RDL/site1/${rel}`, dropboxContentHash(body)]],
    );
    assert.ok(!h.engine.getStatus().problems.some((p) => p.message.includes(rel)), 'problem gone');
  });
});

test('held files are re-read a few a pass (a dying card may hold thousands): the rest wait for later passes', async () => {
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  await withHarness({ engine: { clock } }, async (h) => {
    const n = ZEROED_RECHECKS_PER_PASS + 4;
    const files = Array.from({ length: n }, (_, i) => ({
      rel: `RDL/USB0/RDL_2026-11-${String(i + 1).padStart(2, '0')}_USB0.txt`,
      body: Buffer.from(`time,value\n2026-11-${i + 1},${i}\n`.repeat(30)),
    }));
    await fs.rm(h.archiveDir, { recursive: true });
    for (const f of files) await h.drop(f.rel, f.body);
    await h.engine.runPassNow();
    for (const f of files) await turnToZeros(path.join(h.transitDir, ...f.rel.split('/')));
    await fs.mkdir(h.archiveDir);
    await h.engine.runPassNow();
    for (const f of files)
      await realBytesBack(path.join(h.transitDir, ...f.rel.split('/')), f.body);
    offsetMs += 3_600_000;
    await h.engine.runPassNow();
    assert.equal(
      (await listFilesRel(h.transitDir)).length,
      n - ZEROED_RECHECKS_PER_PASS,
      `${ZEROED_RECHECKS_PER_PASS} re-read and released in one pass`,
    );
    for (let i = 0; i < 3 && (await listFilesRel(h.transitDir)).length > 0; i++)
      await h.engine.runPassNow();
    assert.deepEqual(await listFilesRel(h.transitDir), [], 'the rest in the next passes');
    assert.equal(h.emulator.listFiles().length, n, 'no "(1)" on Dropbox');
  });
});

test('a card of its own: no copy of the zeros is made while held, and the real bytes reach it once they come back in place', async (t) => {
  if (!(await canMount())) return t.skip('needs root for a tmpfs card');
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  await withHarness({ engine: { clock } }, async (h) => {
    const rel = 'RDL/USB0/RDL_2026-12-10_USB0.txt';
    const body = Buffer.from('time,value\n2026-12-10T00:00:00Z,12.5\n'.repeat(40));
    const transit = path.join(h.transitDir, ...rel.split('/'));
    const card = path.join(h.archiveDir, ...rel.split('/'));
    const away = `${h.archiveDir}.away`;
    await fs.rename(h.archiveDir, away);
    await h.drop(rel, body);
    await h.engine.runPassNow();
    await turnToZeros(transit);
    // The card: another file system, so its copy is a copy (of the zeros), not a link.
    await fs.mkdir(h.archiveDir);
    mountTmpfs(h.archiveDir, 16 * 1024);
    try {
      await h.engine.runPassNow();
      // A copy (not a link) is hashed before it is written: the zeros are refused, the file held.
      assert.equal(await fs.stat(card).catch(() => null), null, 'no zeros on the card');
      assert.ok(h.engine.getStatus().problems.some((p) => /reads as .* of zeros/.test(p.message)));
      await realBytesBack(transit, body);
      for (let i = 0; i < 4 && (await listFilesRel(h.transitDir)).length > 0; i++) {
        offsetMs += 3_600_000;
        await h.engine.runPassNow();
      }
      assert.deepEqual(await listFilesRel(h.transitDir), [], 'the file left transit');
      assert.deepEqual(
        (await listFilesRel(h.archiveDir)).filter((f) => !f.startsWith('.')),
        [rel],
        'one card copy, no "(1)"',
      );
      assert.deepEqual(await fs.readFile(card), body, 'the card holds the real bytes');
      assert.equal(h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash, dropboxContentHash(body));
    } finally {
      unmount(h.archiveDir);
    }
  });
});
