// A file in the watch folder replaced between the scan's look and the move (TOCTOU): on a shared
// hub another user who can write the watch folder swaps a finished file for a symlink to a file
// only RDL Sync's user may read, or for a FIFO. The move must never carry the link into transit
// (where the legs would read through it and upload its target), the copy across disks must never
// read through it, and a FIFO must never hang the pass. The swap is made at the exact moment
// inside stageFile (the first link call, after its look at the file), so the race is hit every run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { link, lstat, mkdir, readdir, readFile, rename, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { stageFile, type StageResult } from '../../src/engine/stage/index.js';
import type { ScannedFile } from '../../src/engine/scan/index.js';
import { removeDir, tempDir } from '../archive/helpers.js';
import { put } from '../scan/helpers.js';

const SECRET = 'root:$6$not-for-dropbox:19000:0:99999:7:::\n';

interface Scene {
  base: string;
  watch: string;
  transit: string;
  secret: string;
  file: ScannedFile;
  /** Where the swap put the original file. */
  aside: string;
}

async function scene(): Promise<Scene> {
  const base = await tempDir('rdl-swap-');
  const watch = join(base, 'watch');
  const transit = join(base, 'transit');
  await mkdir(transit);
  const secret = await put(base, 'private/shadow', SECRET);
  // Same size as the secret, so a byte count cannot give the swap away.
  const absPath = await put(watch, 'USB0/data.csv', 'x'.repeat(SECRET.length));
  const s = fs.statSync(absPath);
  const file = { rel: 'USB0/data.csv', absPath, size: s.size, mtimeMs: s.mtimeMs };
  return { base, watch, transit, secret, file, aside: join(base, 'aside.csv') };
}

/** Every file below `dir` (following nothing) with its type and, for regular files, content. */
async function contents(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const name of await readdir(dir, { recursive: true })) {
    const p = join(dir, name);
    const s = await lstat(p);
    if (s.isDirectory()) continue;
    out.push(s.isFile() ? `${name}: ${await readFile(p, 'utf8')}` : `${name}: (not a file)`);
  }
  return out;
}

const exdev = (): Promise<void> =>
  Promise.reject(Object.assign(new Error('cross-device link not permitted'), { code: 'EXDEV' }));

/** link() as the staging calls it, but the file is swapped by `swap` first (once). */
function swapBeforeFirstLink(
  s: Scene,
  swap: () => Promise<void>,
  crossDisk: boolean,
): { link(from: string | Buffer, to: string): Promise<void> } {
  let swapped = false;
  return {
    link: async (from, to) => {
      if (!swapped) {
        swapped = true;
        await rename(s.file.absPath, s.aside);
        await swap();
      }
      // Across disks the watch folder's name cannot be linked into transit; the temporary can.
      if (crossDisk && String(from).startsWith(s.watch + '/')) return exdev();
      return link(from, to);
    },
  };
}

async function assertSecretNotInTransit(s: Scene, r: StageResult): Promise<void> {
  assert.notEqual(r.status, 'staged', `staged the swapped-in entry: ${JSON.stringify(r)}`);
  const inTransit = await contents(s.transit);
  assert.ok(
    inTransit.every((line) => !line.includes('not-for-dropbox') && !line.includes('not a file')),
    `transit holds ${JSON.stringify(inTransit)}`,
  );
  // The logger's file, set aside by the swapper, is untouched.
  assert.equal(await readFile(s.aside, 'utf8'), 'x'.repeat(SECRET.length));
}

test('same disk: a file swapped for a symlink before the move is not linked into transit', async () => {
  const s = await scene();
  try {
    const r = await stageFile({
      watchDir: s.watch,
      transitDir: s.transit,
      file: s.file,
      fsOps: swapBeforeFirstLink(s, () => symlink(s.secret, s.file.absPath), false),
    });
    await assertSecretNotInTransit(s, r);
    // The symlink stays where the swapper put it (the next scan skips it), pointing where it did.
    assert.ok((await lstat(s.file.absPath)).isSymbolicLink());
    assert.equal(await readFile(s.secret, 'utf8'), SECRET);
  } finally {
    await removeDir(s.base);
  }
});

test('across disks: a file swapped for a symlink before the copy is not read through', async () => {
  const s = await scene();
  try {
    const r = await stageFile({
      watchDir: s.watch,
      transitDir: s.transit,
      file: s.file,
      fsOps: swapBeforeFirstLink(s, () => symlink(s.secret, s.file.absPath), true),
    });
    await assertSecretNotInTransit(s, r);
    assert.ok((await lstat(s.file.absPath)).isSymbolicLink(), 'the symlink is left alone');
  } finally {
    await removeDir(s.base);
  }
});

test('across disks: a file swapped for a FIFO does not hang staging', async () => {
  const s = await scene();
  const fifo = s.file.absPath;
  let deadline: NodeJS.Timeout | undefined;
  try {
    const staging = stageFile({
      watchDir: s.watch,
      transitDir: s.transit,
      file: s.file,
      fsOps: swapBeforeFirstLink(s, async () => void execFileSync('mkfifo', [fifo]), true),
    });
    // Not a timing assertion: a deadline so a hung open fails the test instead of the run.
    const hung = new Promise<'hung'>((resolve) => {
      deadline = setTimeout(() => resolve('hung'), 20_000);
    });
    const r = await Promise.race([staging, hung]);
    assert.notEqual(r, 'hung', 'staging blocked opening the FIFO');
    await assertSecretNotInTransit(s, r as StageResult);
    assert.ok((await lstat(fifo)).isFIFO(), 'the FIFO is left alone');
  } finally {
    clearTimeout(deadline);
    // A reader blocked in open() (the defect) is released by a writer, so the process can end.
    if (fs.existsSync(fifo) && fs.lstatSync(fifo).isFIFO())
      fs.closeSync(fs.openSync(fifo, fs.constants.O_RDWR | fs.constants.O_NONBLOCK));
    await removeDir(s.base);
  }
});

test('across disks: a file swapped for a hard link to another file is not copied', async () => {
  const s = await scene();
  try {
    const r = await stageFile({
      watchDir: s.watch,
      transitDir: s.transit,
      file: s.file,
      fsOps: swapBeforeFirstLink(
        s,
        async () => {
          // Same size and, stamped, same mtime: only its identity (device, inode) tells it apart.
          execFileSync('touch', ['-m', '-r', s.aside, s.secret]);
          await link(s.secret, s.file.absPath);
        },
        true,
      ),
    });
    await assertSecretNotInTransit(s, r);
  } finally {
    await removeDir(s.base);
  }
});

test('same disk, link refused (protected_hardlinks, another user’s symlink): the renamed symlink goes back', async () => {
  const s = await scene();
  try {
    const r = await stageFile({
      watchDir: s.watch,
      transitDir: s.transit,
      file: s.file,
      fsOps: {
        // The swap, then the kernel's answer to a user linking a symlink another user owns:
        // EPERM, so placing falls back to rename and takes the entry itself into transit.
        link: async () => {
          await rename(s.file.absPath, s.aside);
          await symlink(s.secret, s.file.absPath);
          throw Object.assign(new Error('operation not permitted'), { code: 'EPERM' });
        },
      },
    });
    await assertSecretNotInTransit(s, r);
    assert.ok((await lstat(s.file.absPath)).isSymbolicLink(), 'the symlink is back in its place');
  } finally {
    await removeDir(s.base);
  }
});
