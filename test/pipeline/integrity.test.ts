// The integrity promise at the pipeline's level (issue "Never lose a byte"): a transit file that
// changes is synced again and replaces our own copies (never a `name (n)` copy), Dropbox and the
// card never end with different bytes, and one failing part never stops the rest.
// Real folders, a real engine, the emulator over HTTP through the SDK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import {
  startHarness,
  withHarness,
  listFilesRel,
  localHash,
  type Harness,
} from '../engine/harness.js';
import { dropboxContentHash } from '../../tools/emulator/index.js';
import { createEngine } from '../../src/engine/engine.js';
import { Journal } from '../../src/engine/journal/index.js';
import { systemClock } from '../../src/engine/ports.js';
import {
  bindMount,
  canMount,
  makeTooDeepTree,
  mountTmpfs,
  removeDeep,
  unmount,
} from '../archive/helpers.js';

/** Files on the emulator below the site root, as rels. */
function remoteRels(h: Harness): string[] {
  return h.emulator
    .listFiles()
    .map((f) => f.pathDisplay)
    .filter((p) => p.startsWith('/RDL/site1/'))
    .map((p) => p.slice('/RDL/site1/'.length))
    .sort();
}

/** Takes the card away (the archive leg blocks) and gives it back. */
async function pullCard(h: Harness): Promise<() => Promise<void>> {
  const away = `${h.archiveDir}.away`;
  await fs.rename(h.archiveDir, away);
  return () => fs.rename(away, h.archiveDir);
}

test('a file that changes in transit after its upload replaces our own Dropbox revision: no name (n) copies, however often it changes', async () => {
  await withHarness({}, async (h) => {
    const rel = 'cameras/infrared1/2026-11-24/ir.csv';
    await h.drop(rel, 'row 1\n');
    const putBack = await pullCard(h);
    let report = await h.engine.runPassNow();
    assert.equal(report.uploaded, 1, JSON.stringify(report));
    assert.equal(report.done, 0, 'nothing leaves transit while the card is away');
    const transitPath = path.join(h.transitDir, ...rel.split('/'));

    // The file grows in transit three times (a writer whose descriptor followed the rename),
    // each time after its upload: every version replaces the one before on Dropbox.
    let body = 'row 1\n';
    for (let i = 2; i <= 4; i++) {
      body += `row ${i}\n`;
      await fs.appendFile(transitPath, `row ${i}\n`);
      report = await h.engine.runPassNow();
      assert.equal(report.uploaded, 1, `version ${i} uploaded: ${JSON.stringify(report)}`);
      assert.deepEqual(remoteRels(h), [rel], `only one copy on Dropbox after version ${i}`);
      assert.equal(
        h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash,
        dropboxContentHash(Buffer.from(body)),
      );
    }

    await putBack();
    report = await h.engine.runPassNow();
    assert.equal(report.done, 1, JSON.stringify(report));
    assert.deepEqual(remoteRels(h), [rel]);
    const expected = dropboxContentHash(Buffer.from(body));
    assert.equal(h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash, expected);
    assert.deepEqual(await listFilesRel(h.archiveDir), [rel]);
    assert.equal(await localHash(path.join(h.archiveDir, ...rel.split('/'))), expected);
    assert.deepEqual(await listFilesRel(h.transitDir), []);
    const [record] = h.engine.queryHistory({});
    assert.equal(record?.contentHash, expected, 'history names the final content');
  });
});

test('Dropbox and the card verified different bytes (changed in place, size and mtime restored): the transit copy stays until both hold the same content', async () => {
  await withHarness({}, async (h) => {
    const rel = 'RDL/USB0/day.txt';
    const first = 'AAAAAAAAAA\n';
    const second = 'BBBBBBBBBB\n'; // same length: size alone cannot tell
    await h.drop(rel, first);
    const putBack = await pullCard(h);
    await h.engine.runPassNow(); // Dropbox gets the first content; the card is away
    assert.equal(
      h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash,
      dropboxContentHash(Buffer.from(first)),
    );

    // Rewritten in place, with its mtime put back: to size, mtime and inode it is the same file.
    const transitPath = path.join(h.transitDir, ...rel.split('/'));
    const before = await fs.stat(transitPath);
    const stamp = path.join(h.root, 'stamp');
    await fs.writeFile(stamp, '');
    execFileSync('touch', ['-r', transitPath, stamp]); // keeps the nanoseconds, unlike utimes
    await fs.writeFile(transitPath, second);
    execFileSync('touch', ['-r', stamp, transitPath]);
    const after = await fs.stat(transitPath);
    assert.equal(after.ino, before.ino);
    assert.equal(after.mtimeMs, before.mtimeMs);

    await putBack();
    let report = await h.engine.runPassNow();
    // The card leg read the second content; the upload leg verified the first: not done.
    assert.equal(report.done, 0, `removed while the copies differ: ${JSON.stringify(report)}`);
    assert.ok(
      await fs.stat(transitPath).then(
        () => true,
        () => false,
      ),
      'the transit copy is kept',
    );
    for (let i = 0; i < 3 && report.done === 0; i++) report = await h.engine.runPassNow();
    assert.equal(report.done, 1, JSON.stringify(report));
    const expected = dropboxContentHash(Buffer.from(second));
    assert.deepEqual(remoteRels(h), [rel], 'our own first upload was replaced, not kept beside');
    assert.equal(h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash, expected);
    assert.deepEqual(await listFilesRel(h.archiveDir), [rel]);
    assert.equal(await localHash(path.join(h.archiveDir, ...rel.split('/'))), expected);
  });
});

test('a file that changes in transit after its card copy (card on its own disk) replaces that copy: no name (n) on the card', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  await withHarness({}, async (h) => {
    mountTmpfs(h.archiveDir, 4096); // another file system: a real copy, not a hard link
    try {
      const rel = 'RDL/USB0/RDL_2026-11-24_USB0.txt';
      await h.drop(rel, 'reading 1\n');
      h.emulator.addFault({ kind: 'server_error', times: 1000 }); // Dropbox down
      let report = await h.engine.runPassNow();
      assert.equal(report.archived, 1, JSON.stringify(report));
      assert.equal(report.done, 0);
      await fs.appendFile(path.join(h.transitDir, ...rel.split('/')), 'reading 2\n');
      h.emulator.clearFaults();
      report = await h.engine.runPassNow();
      assert.equal(report.done, 1, JSON.stringify(report));
      const expected = dropboxContentHash(Buffer.from('reading 1\nreading 2\n'));
      assert.deepEqual(
        (await listFilesRel(h.archiveDir)).filter((f) => !f.startsWith('.rdl-sync-tmp/')),
        [rel],
      );
      assert.equal(await localHash(path.join(h.archiveDir, ...rel.split('/'))), expected);
      assert.deepEqual(remoteRels(h), [rel]);
      assert.equal(h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash, expected);
    } finally {
      unmount(h.archiveDir);
    }
  });
});

test('another file of the same name after ours finished is not a new version: it follows the conflict policy (keep both)', async () => {
  await withHarness({}, async (h) => {
    const rel = 'cameras/reolink1/2026-10-25/2026-10-25_02_30.jpg';
    await h.drop(rel, 'first 02:30 (summer time)');
    assert.equal((await h.engine.runPassNow()).done, 1);
    // The autumn clock change: the same name again, other bytes.
    await h.drop(rel, 'second 02:30 (winter time)');
    assert.equal((await h.engine.runPassNow()).done, 1);
    assert.deepEqual(remoteRels(h), ['cameras/reolink1/2026-10-25/2026-10-25_02_30 (1).jpg', rel]);
    assert.equal(
      h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash,
      dropboxContentHash(Buffer.from('first 02:30 (summer time)')),
      'the first file was not overwritten',
    );
  });
});

test('a file taken out of transit by a person is forgotten: a later file of the same name never replaces its Dropbox copy', async () => {
  await withHarness({}, async (h) => {
    const rel = 'RDL/USB0/RDL_2026-11-24_USB0.txt';
    await h.drop(rel, 'the first file\n');
    const putBack = await pullCard(h);
    await h.engine.runPassNow(); // uploaded, waiting for the card
    await fs.rm(path.join(h.transitDir, ...rel.split('/'))); // a person empties transit
    await h.engine.runPassNow();
    // What is saved (the snapshot and its append log), read as the next start would read it.
    const saved = await Journal.open(path.join(h.configDir, 'journal.json'));
    assert.equal(saved.entry(rel), undefined, 'the entry of the file that left is forgotten');

    await h.drop(rel, 'another file, same name\n');
    await putBack();
    const report = await h.engine.runPassNow();
    assert.equal(report.done, 1, JSON.stringify(report));
    assert.equal(
      h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash,
      dropboxContentHash(Buffer.from('the first file\n')),
      'the first file on Dropbox was not overwritten',
    );
    assert.deepEqual(remoteRels(h), ['RDL/USB0/RDL_2026-11-24_USB0 (1).txt', rel]);
  });
});

test('an unreadable part of the watch folder is a problem in status naming it, cleared when it heals', async () => {
  await withHarness({}, async (h) => {
    await fs.mkdir(h.watchDir, { recursive: true });
    const top = makeTooDeepTree(h.watchDir); // paths past PATH_MAX fail for real, even as root
    await h.drop('RDL/ok.csv', 'ok\n');
    try {
      const report = await h.engine.runPassNow();
      assert.equal(report.done, 1, 'the rest still syncs');
      const problems = h.engine.getStatus().problems.filter((p) => p.id.startsWith('unreadable:'));
      assert.equal(problems.length, 1, JSON.stringify(h.engine.getStatus().problems));
      assert.match(problems[0]!.id, new RegExp(`^unreadable:${top}/`));
      assert.equal(problems[0]!.code, 'unreadable-entry');
    } finally {
      removeDeep(path.join(h.watchDir, top));
    }
    await h.engine.runPassNow();
    assert.deepEqual(
      h.engine.getStatus().problems.filter((p) => p.id.startsWith('unreadable:')),
      [],
    );
  });
});

test('a file marked finished before a kill is removed on the next start without new legs, with exactly one history record', async () => {
  const h = await startHarness({});
  try {
    await h.engine.stop();
    // What a kill between "mark finished" and "remove the transit copy" leaves behind.
    const rel = 'RDL/USB0/a.txt';
    const transitPath = path.join(h.transitDir, ...rel.split('/'));
    await fs.mkdir(path.dirname(transitPath), { recursive: true });
    await fs.writeFile(transitPath, 'a\n');
    const st = await fs.stat(transitPath);
    const hash = dropboxContentHash(Buffer.from('a\n'));
    const leg = { contentHash: hash, atMs: Date.now() - 1000, alreadyPresent: false };
    const entry = {
      size: st.size,
      mtimeMs: st.mtimeMs,
      dev: st.dev,
      ino: st.ino,
      contentHash: hash,
      upload: { ...leg, remotePath: `/RDL/site1/${rel}`, rev: '0123456789abcdef' },
      archive: { ...leg, path: path.join(h.archiveDir, ...rel.split('/')) },
      attempts: 0,
      nextTryMs: 0,
      finishedAtMs: Date.now() - 500,
    };
    await fs.writeFile(
      path.join(h.configDir, 'journal.json'),
      JSON.stringify({ version: 1, entries: { [rel]: entry }, sessions: {} }),
    );
    const engine = await createEngine({ configDir: h.configDir, home: h.root });
    try {
      h.emulator.resetStats();
      const report = await engine.runPassNow();
      assert.equal(report.done, 1, JSON.stringify(report));
      assert.equal(report.uploaded + report.archived, 0, 'no leg ran again');
      assert.deepEqual(await listFilesRel(h.transitDir), []);
      const records = engine.queryHistory({});
      assert.equal(records.length, 1);
      assert.equal(records[0]?.finishedAtMs, entry.finishedAtMs);
      assert.equal(records[0]?.contentHash, hash);
      // A second pass finds nothing more to record.
      await engine.runPassNow();
      assert.equal(engine.queryHistory({}).length, 1);
    } finally {
      await engine.stop();
    }
  } finally {
    await h.emulator.close();
    await fs.rm(h.root, { recursive: true, force: true });
  }
});

test('a writer whose descriptor followed its file into transit: the file is not removed while open, and what it wrote last reaches both copies', async (t) => {
  if (process.platform !== 'linux') return t.skip('writer detection reads /proc (Linux only)');
  await withHarness({}, async (h) => {
    const rel = 'cameras/infrared1/ir.csv';
    const transitPath = path.join(h.transitDir, ...rel.split('/'));
    await fs.mkdir(path.dirname(transitPath), { recursive: true });
    await fs.writeFile(transitPath, 'header\n');
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs');
         const fd = fs.openSync(process.argv[1], 'a');
         process.stdout.write('open\\n');
         process.stdin.on('data', (d) => fs.writeSync(fd, d));
         process.stdin.on('end', () => { fs.closeSync(fd); process.exit(0); });`,
        transitPath,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('writer did not open in 10 s')), 10_000);
        writer.stdout.once('data', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      let report = await h.engine.runPassNow();
      assert.equal(report.uploaded, 1, JSON.stringify(report));
      assert.equal(report.done, 0, 'removed while a process still writes to it');
      writer.stdin.write('row 1\nrow 2\n');
      writer.stdin.end();
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('writer did not exit in 10 s')), 10_000);
        writer.once('exit', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      for (let i = 0; i < 3 && report.done === 0; i++) report = await h.engine.runPassNow();
      assert.equal(report.done, 1, JSON.stringify(report));
      const expected = dropboxContentHash(Buffer.from('header\nrow 1\nrow 2\n'));
      assert.deepEqual(remoteRels(h), [rel]);
      assert.equal(h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash, expected);
      assert.equal(await localHash(path.join(h.archiveDir, ...rel.split('/'))), expected);
    } finally {
      writer.kill('SIGKILL');
    }
  });
});

test('a missing watch folder (USB stick pulled) stops staging only: files already in transit still sync, and status says what is wrong', async () => {
  await withHarness({}, async (h) => {
    for (const n of [1, 2, 3]) {
      const p = path.join(h.transitDir, 'RDL', `queued${n}.csv`);
      await fs.mkdir(path.dirname(p), { recursive: true });
      await fs.writeFile(p, `queued ${n}\n`);
    }
    await fs.rm(h.watchDir, { recursive: true, force: true });
    const report = await h.engine.runPassNow();
    assert.equal(report.done, 3, JSON.stringify(report));
    assert.equal(remoteRels(h).length, 3);
    const status = h.engine.getStatus();
    assert.notEqual(status.state, 'offline', status.sentence);
    const problem = status.problems.find((p) => p.id === 'watch-unavailable');
    assert.ok(problem, `no watch problem in ${JSON.stringify(status.problems)}`);
    assert.match(problem.message, /watch folder/i);
    assert.doesNotMatch(status.sentence, /Up to date/);

    // It comes back: the problem clears.
    await fs.mkdir(h.watchDir, { recursive: true });
    await h.drop('RDL/new.csv', 'new\n');
    await h.engine.runPassNow();
    assert.equal(
      h.engine.getStatus().problems.find((p) => p.id === 'watch-unavailable'),
      undefined,
    );
  });
});

test('a file that cannot leave the watch folder (real read-only mount) fails alone: the others sync, status names it, never "Up to date"', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const offset = { ms: 0 };
  const clock = { now: () => Date.now() + offset.ms, sleep: systemClock.sleep };
  await withHarness({ engine: { clock } }, async (h) => {
    const stuckDir = path.join(h.watchDir, 'RDL', 'ro');
    await h.drop('RDL/ro/stuck.csv', 'cannot be moved\n');
    await h.drop('RDL/ok1.csv', 'one\n');
    await h.drop('cameras/ok2.jpg', 'two');
    bindMount(stuckDir, stuckDir, true);
    try {
      let report = await h.engine.runPassNow();
      assert.equal(report.done, 2, JSON.stringify(report));
      assert.deepEqual(remoteRels(h), ['RDL/ok1.csv', 'cameras/ok2.jpg']);
      let status = h.engine.getStatus();
      assert.equal(status.counts.failed, 1, JSON.stringify(status.counts));
      assert.doesNotMatch(status.sentence, /Up to date/, status.sentence);
      // Below the failing threshold it is no problem yet: the sentence names it and says why.
      assert.match(
        status.sentence,
        /^RDL\/ro\/stuck\.csv could not be synced yet and will be retried: Cannot move .*stuck\.csv out of the watch folder \(EROFS\)/,
        status.sentence,
      );
      // Retried with back-off; after a few attempts it is a problem that names the file.
      for (let i = 0; i < 4; i++) {
        offset.ms += 2 * 60 * 60_000;
        report = await h.engine.runPassNow();
      }
      status = h.engine.getStatus();
      const problem = status.problems.find((p) => p.id === 'file-failing:RDL/ro/stuck.csv');
      assert.ok(problem, JSON.stringify(status.problems));
      assert.match(problem.message, /RDL\/ro\/stuck\.csv/);
      assert.equal(status.state, 'attention');
      // Nothing was lost: the file is whole where it was.
      assert.equal(
        await fs.readFile(path.join(stuckDir, 'stuck.csv'), 'utf8'),
        'cannot be moved\n',
      );
    } finally {
      unmount(stuckDir);
    }
    // Once it can move, it syncs and the problem clears.
    offset.ms += 2 * 60 * 60_000;
    const report = await h.engine.runPassNow();
    assert.equal(report.done, 1, JSON.stringify(report));
    assert.equal(
      h.engine.getStatus().problems.find((p) => p.id.startsWith('file-failing:')),
      undefined,
    );
  });
});

test('one file larger than the free space of transit waits alone: the smaller ones after it are staged and synced, the problem names it', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  await withHarness({}, async (h) => {
    await fs.mkdir(h.transitDir, { recursive: true });
    mountTmpfs(h.transitDir, 256);
    try {
      // A camera's clip larger than the whole transit disk, sorted before the logger's files.
      const big = Buffer.alloc(400 * 1024, 7);
      await h.drop('RDL/a-clip.bin', big);
      for (let i = 0; i < 5; i++) await h.drop(`RDL/z${i}.csv`, `row ${i}\n`);
      for (let pass = 0; pass < 2; pass++) await h.engine.runPassNow();
      assert.deepEqual(
        remoteRels(h),
        ['RDL/z0.csv', 'RDL/z1.csv', 'RDL/z2.csv', 'RDL/z3.csv', 'RDL/z4.csv'],
        'every file that fits went, however many passes the big one was tried in',
      );
      assert.deepEqual(await listFilesRel(h.watchDir), ['RDL/a-clip.bin']);
      assert.deepEqual(await fs.readFile(path.join(h.watchDir, 'RDL', 'a-clip.bin')), big);
      assert.deepEqual(await listFilesRel(h.transitDir), [], 'no partial copy left in transit');
      const problem = h.engine.getStatus().problems.find((p) => p.id === 'transit-unwritable');
      assert.ok(problem, JSON.stringify(h.engine.getStatus().problems));
      assert.match(
        problem.message,
        /^RDL\/a-clip\.bin \(410 kB\) does not fit on the disk of the transit folder .* free\): it waits in the watch folder; free space on that disk or move the transit folder to a larger one/,
      );
    } finally {
      unmount(h.transitDir);
    }
  });
});

test('the problem naming a file too big for transit clears once that file is gone, though nothing else could be staged', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  await withHarness({}, async (h) => {
    await fs.mkdir(h.transitDir, { recursive: true });
    mountTmpfs(h.transitDir, 256);
    const stuckDir = path.join(h.watchDir, 'RDL', 'ro');
    await h.drop('cameras/clip.bin', Buffer.alloc(400 * 1024, 7));
    // The only other file cannot leave the watch folder (its folder is read-only): it waits out
    // its back-off, so no pass stages anything.
    await h.drop('RDL/ro/stuck.csv', 'cannot be moved\n');
    bindMount(stuckDir, stuckDir, true);
    try {
      await h.engine.runPassNow();
      const transitProblem = () =>
        h.engine.getStatus().problems.find((p) => p.id === 'transit-unwritable');
      assert.match(transitProblem()?.message ?? '', /^cameras\/clip\.bin \(410 kB\) does not fit/);
      // The person takes the clip off by hand (it was a mistake, or it went another way).
      await fs.rm(path.join(h.watchDir, 'cameras', 'clip.bin'));
      const report = await h.engine.runPassNow();
      assert.equal(report.staged, 0, JSON.stringify(report));
      assert.equal(
        transitProblem(),
        undefined,
        'no problem names a file that is no longer there, nor sends the person to free space',
      );
    } finally {
      unmount(stuckDir);
      unmount(h.transitDir);
    }
  });
});

test('a full transit disk stops staging only: the queue still drains, the new file waits whole in the watch folder', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  await withHarness({}, async (h) => {
    await fs.mkdir(h.transitDir, { recursive: true });
    mountTmpfs(h.transitDir, 256);
    try {
      const queued = path.join(h.transitDir, 'RDL', 'queued.csv');
      await fs.mkdir(path.dirname(queued), { recursive: true });
      await fs.writeFile(queued, 'already queued\n');
      const big = Buffer.alloc(400 * 1024, 7); // larger than the whole transit disk
      await h.drop('RDL/big.bin', big);
      const report = await h.engine.runPassNow();
      assert.equal(report.done, 1, JSON.stringify(report));
      assert.deepEqual(remoteRels(h), ['RDL/queued.csv']);
      assert.deepEqual(await fs.readFile(path.join(h.watchDir, 'RDL', 'big.bin')), big);
      assert.deepEqual(await listFilesRel(h.transitDir), [], 'no partial copy left in transit');
      const status = h.engine.getStatus();
      assert.doesNotMatch(status.sentence, /Up to date/, status.sentence);
      assert.ok(status.counts.waiting + status.counts.failed >= 1, JSON.stringify(status.counts));
    } finally {
      unmount(h.transitDir);
    }
  });
});
