// The writers' snapshot asks only the file systems of the synced folders (scan/writer-mounts.ts).
// It stat'ed every descriptor open for writing on the machine, on the main thread: a process
// writing to a file system that hangs (a stale NFS share, a FUSE driver stopped) froze the whole
// daemon, no pass and no status, until that file system answered (found under a hands-on trial,
// by a test that stopped its FUSE card's driver while copying to it). Real parts: a FAT32 card
// through its FUSE driver, stopped; real writer processes, one in a mount namespace of its own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { canDetectWriters } from '../../src/engine/scan/index.js';
import { CardImage, cardsUnavailable } from '../archive/helpers.js';
import { holdOpen, put, removeDir, tempDir, type Holder } from './helpers.js';

const module = new URL('../../src/engine/scan/open-writers.ts', import.meta.url).pathname;

/** A snapshot for `folders` in a process of its own (a hang must not hold this one): what it saw. */
function snapshotIn(folders: string[], files: string[]): { ok: boolean; seen?: boolean[] } {
  const script =
    `const { snapshotOpenWriters } = await import(${JSON.stringify(module)});` +
    `const { statSync } = await import('node:fs');` +
    `const s = await snapshotOpenWriters({ folders: ${JSON.stringify(folders)} });` +
    `console.log(JSON.stringify(${JSON.stringify(files)}.map((p) => { const st = statSync(p); return s.has(st.dev, st.ino); })));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 20_000,
    killSignal: 'SIGKILL',
  });
  if (r.status !== 0) return { ok: false };
  return { ok: true, seen: JSON.parse(r.stdout.trim().split('\n').at(-1)!) as boolean[] };
}

test(
  'a process writing to a file system that hangs does not hold the snapshot; writers of the synced folders are still seen, from another mount namespace too',
  { timeout: 120_000 },
  async (t) => {
    if (!canDetectWriters()) return t.skip('no /proc on this system');
    const unavailable = cardsUnavailable();
    if (unavailable) return t.skip(unavailable);
    const base = await tempDir();
    const watch = join(base, 'watch');
    await mkdir(watch);
    const logged = join(watch, 'USB0', 'a.csv');
    const other = join(watch, 'USB0', 'b.csv');
    await put(watch, 'USB0/a.csv', 't,v\n');
    await put(watch, 'USB0/b.csv', 't,v\n');
    const card = await CardImage.create('fat32', 40);
    const cardDir = join(base, 'elsewhere');
    await mkdir(cardDir);
    let onCard: Holder | undefined;
    let inWatch: Holder | undefined;
    let namespaced: ReturnType<typeof spawn> | undefined;
    try {
      await card.mount(cardDir);
      await put(cardDir, 'held.csv', '');
      onCard = holdOpen([join(cardDir, 'held.csv')], 'a');
      inWatch = holdOpen([logged], 'a');
      // A logger started by a service with a mount namespace of its own (PrivateTmp=...). The
      // sleep is exec'd, so the kill below reaches it: a child of sh would keep the stdout pipe,
      // and with it this test file, open for its 120 s.
      namespaced = spawn(
        'unshare',
        [
          '-m',
          '--propagation',
          'private',
          'sh',
          '-c',
          `exec 3>>'${other}'; echo ready; exec sleep 120`,
        ],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await Promise.all([
        onCard.ready,
        inWatch.ready,
        new Promise<void>((resolve, reject) => {
          namespaced!.stdout!.once('data', () => resolve());
          namespaced!.once('exit', (code) => reject(new Error(`unshare exited ${code}`)));
        }),
      ]);
      const before = snapshotIn([watch], [logged, other]);
      assert.deepEqual(before, { ok: true, seen: [true, true] }, 'both writers seen');

      card.freeze();
      // Past the kernel's cache of the held file's attributes (a second), which the first
      // snapshot filled: a stat must ask the stopped driver now.
      await new Promise((r) => setTimeout(r, 2_500));
      const frozen = snapshotIn([watch], [logged, other]);
      assert.deepEqual(frozen, { ok: true, seen: [true, true] }, 'answered while the card hangs');
      assert.ok((await stat(logged)).isFile());
    } finally {
      card.thaw();
      onCard?.kill();
      inWatch?.kill();
      namespaced?.kill('SIGKILL');
      await card.destroy();
      await removeDir(base);
    }
  },
);
