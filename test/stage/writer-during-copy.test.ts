// A file copied across disks lost a line: a logger opened it while it was being copied (one that
// opens its file, then blocks on a serial read) and wrote after the original's removal, into the
// removed file; the copy, without the line, was recorded as done. Found by an integrity trial (a
// 200 MB file, transit on a disk of its own). Now a fresh look at the open writers comes between
// the copy and the removal: the file waits while one holds it. A real writer process, real /proc;
// the disks are told apart by injected EXDEV (stage-file.test.ts), so it runs without mounts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { link, lstat, mkdir, readFile, readdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { stageFile } from '../../src/engine/stage/index.js';
import {
  canDetectWriters,
  freshWriters,
  snapshotOpenWriters,
  type ScannedFile,
} from '../../src/engine/scan/index.js';
import { removeDir, tempDir } from '../archive/helpers.js';
import { put } from '../scan/helpers.js';

const exdev = async (): Promise<void> => {
  throw Object.assign(new Error('cross-device link not permitted'), { code: 'EXDEV' });
};

test('a writer holding the file open when its copy across disks is done: the original stays, nothing is lost', async (t) => {
  if (!canDetectWriters()) return t.skip('no /proc fdinfo on this system');
  const base = await tempDir('rdl-stage-writer-');
  const watch = join(base, 'watch');
  const transit = join(base, 'transit');
  // The logger: opens its file for appending, says so, and writes its line when told.
  let logger: ReturnType<typeof spawn> | undefined;
  try {
    await put(watch, 'RDL/USB0/slow.txt', Buffer.alloc(3 * 1024 * 1024, 'x'));
    // Made by a pass before staging, after a look at its disk (stage/transit-place.ts).
    await mkdir(transit);
    const absPath = join(watch, 'RDL', 'USB0', 'slow.txt');
    logger = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('node:fs');
         const fd = fs.openSync(process.argv[1], 'a');
         process.stdout.write('open\\n');
         process.stdin.once('data', () => { fs.writeSync(fd, 'LATE LINE\\n'); fs.closeSync(fd); process.exit(0); });`,
        absPath,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    await once(logger.stdout!, 'data');
    const s = await stat(absPath);
    const file: ScannedFile = {
      rel: 'RDL/USB0/slow.txt',
      absPath,
      size: s.size,
      mtimeMs: s.mtimeMs,
    };
    const crosses = (from: string): boolean => from.startsWith(watch + '/');
    const fsOps = {
      link: (from: string, to: string) => (crosses(from) ? exdev() : link(from, to)),
      rename: (from: string, to: string) => (crosses(from) ? exdev() : rename(from, to)),
    };
    const writers = freshWriters(() => snapshotOpenWriters());

    const held = await stageFile({ watchDir: watch, transitDir: transit, file, fsOps, writers });
    assert.deepEqual(held, { status: 'changed' });
    assert.equal((await lstat(absPath)).size, s.size, 'the original stays where its writer is');
    assert.deepEqual(
      (await readdir(join(transit, 'RDL', 'USB0')).catch(() => [])).filter((n) => n === 'slow.txt'),
      [],
      'no copy in transit',
    );

    logger.stdin!.write('go\n');
    await once(logger, 'exit');
    const after = await stat(absPath);
    const whole = await stageFile({
      watchDir: watch,
      transitDir: transit,
      file: { ...file, size: after.size, mtimeMs: after.mtimeMs },
      fsOps,
      writers,
    });
    assert.equal(whole.status, 'staged');
    const staged = await readFile(join(transit, 'RDL', 'USB0', 'slow.txt'), 'utf8');
    assert.ok(staged.endsWith('xLATE LINE\n'), 'the line is in the copy');
    assert.equal(staged.length, s.size + 'LATE LINE\n'.length);
  } finally {
    logger?.kill();
    await removeDir(base);
  }
});

test('files staged side by side share one fresh snapshot, never one begun before they asked', async () => {
  let began = 0;
  let release!: () => void;
  const probe = async () => {
    began++;
    if (began === 1) await new Promise<void>((r) => (release = r));
    return null;
  };
  const writers = freshWriters(probe);
  const first = writers.fresh();
  // Asked while the first runs: it began before them, so they wait for the next, and share it.
  const [a, b, c] = [writers.fresh(), writers.fresh(), writers.fresh()];
  assert.equal(began, 1);
  release();
  await Promise.all([first, a, b, c]);
  assert.equal(began, 2, 'one more snapshot for the three');
  await writers.fresh();
  assert.equal(began, 3, 'asked after both ended: a new one');
});
