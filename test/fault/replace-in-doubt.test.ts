// A new version of a file in transit replaces RDL Sync's own card copy in place. The replace is
// told to the journal (`writing`) before the copy takes its name; when it does not take it (the
// rename fails, or a kill or power cut comes first) and the file changes again, the copy on the
// card still holds the version before: it is ours all the same, and the next version replaces
// it, never lands beside it as `name (1).txt` (the sites' merge tool folds every .txt of a folder
// into the data: a second copy doubles its rows).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { dropboxContentHash } from '../../tools/emulator/index.js';
import { startEmulator } from '../../tools/emulator/index.js';
import { Journal } from '../../src/engine/journal/index.js';
import { createEngine } from '../../src/engine/engine.js';
import {
  listFilesRel,
  makeDirs,
  testSettings,
  withHarness,
  writeConfig,
} from '../engine/harness.js';
import { canMount, mountTmpfs, unmount } from '../archive/helpers.js';

test('a replace of the card copy that never took its name, then a further change: the copy is replaced, no "(1)"', async (t) => {
  if (!(await canMount())) return t.skip('needs root for a tmpfs card and chattr');
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  await withHarness({ engine: { clock } }, async (h) => {
    // A card of its own file system: the archive copies (a hard link would follow the transit
    // file and need no replace). Dropbox full meanwhile, so the file stays in transit.
    mountTmpfs(h.archiveDir, 4096);
    const rel = 'RDL/USB0/RDL_2026-12-03_USB0.txt';
    const card = path.join(h.archiveDir, ...rel.split('/'));
    const transit = path.join(h.transitDir, ...rel.split('/'));
    const later = async (): Promise<void> => {
      offsetMs += 3_600_000; // past the settling of a changed file and any back-off
      await h.engine.runPassNow();
    };
    try {
      h.emulator.setQuota(0);
      const v1 = Buffer.from('time,value\n2026-12-03T00:00:00Z,1\n');
      await h.drop(rel, v1);
      await h.engine.runPassNow();
      assert.deepEqual(await fs.readFile(card), v1, 'the first version is on the card');

      // The logger that kept its descriptor appends: the card copy is to be replaced. The card
      // refuses the new name (the immutable copy stands for a kill right before the rename).
      await fs.appendFile(transit, '2026-12-03T00:01:00Z,2\n');
      execFileSync('chattr', ['+i', card]);
      try {
        await later();
        await later();
      } finally {
        execFileSync('chattr', ['-i', card]);
      }
      assert.deepEqual(await fs.readFile(card), v1, 'the replace did not take its name');

      // It appends again before the replace was done.
      await fs.appendFile(transit, '2026-12-03T00:02:00Z,3\n');
      const whole = await fs.readFile(transit);
      h.emulator.setQuota(1024 ** 4);
      for (let i = 0; i < 6 && (await listFilesRel(h.transitDir)).length > 0; i++) await later();

      assert.deepEqual(await listFilesRel(h.transitDir), [], 'the file left transit');
      assert.deepEqual(
        (await listFilesRel(h.archiveDir)).filter((f) => !f.startsWith('.')),
        [rel],
        'one copy on the card, no "(1)"',
      );
      assert.deepEqual(await fs.readFile(card), whole, 'the card copy is the last version');
      assert.equal(h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash, dropboxContentHash(whole));
    } finally {
      unmount(h.archiveDir);
    }
  });
});

/**
 * A real engine started on a journal and a Dropbox as a killed run left them (`prepare` writes
 * them; the transit file is already in place), with a clock that `later` moves past any wait.
 */
async function afterAKill(
  prepare: (
    dirs: Awaited<ReturnType<typeof makeDirs>>,
    emulator: Awaited<ReturnType<typeof startEmulator>>,
    journal: Journal,
  ) => Promise<void>,
  run: (r: {
    dirs: Awaited<ReturnType<typeof makeDirs>>;
    emulator: Awaited<ReturnType<typeof startEmulator>>;
    later: () => Promise<void>;
  }) => Promise<void>,
): Promise<void> {
  const dirs = await makeDirs();
  const emulator = await startEmulator({});
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  let stop = async (): Promise<void> => {};
  try {
    await writeConfig(dirs.configDir, testSettings(dirs, emulator), emulator);
    const journal = await Journal.open(path.join(dirs.configDir, 'journal.json'));
    await prepare(dirs, emulator, journal);
    await journal.close();
    const engine = await createEngine({
      configDir: dirs.configDir,
      home: dirs.root,
      retry: { baseMs: 10, capMs: 50, maxAttempts: 3 },
      clock,
    });
    stop = () => engine.stop();
    const later = async (): Promise<void> => {
      await engine.runPassNow();
      offsetMs += 3_600_000; // past the settling of a changed file and any back-off
    };
    await run({ dirs, emulator, later });
  } finally {
    await stop();
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
}

/** Writes the transit file and returns its identity. */
async function inTransit(
  dirs: { transitDir: string },
  rel: string,
  bytes: Buffer,
): Promise<{ path: string; dev: number; ino: number; mtimeMs: number }> {
  const transit = path.join(dirs.transitDir, ...rel.split('/'));
  await fs.mkdir(path.dirname(transit), { recursive: true });
  await fs.writeFile(transit, bytes);
  const s = await fs.stat(transit);
  return { path: transit, dev: s.dev, ino: s.ino, mtimeMs: s.mtimeMs };
}

const rel = 'RDL/USB0/RDL_2026-12-03_USB0.txt';
const remote = `/RDL/site1/${rel}`;
const v1 = Buffer.from('time,value\n2026-12-03T00:00:00Z,1\n');
const v2 = Buffer.concat([v1, Buffer.from('2026-12-03T00:01:00Z,2\n')]);
const v3 = Buffer.concat([v2, Buffer.from('2026-12-03T00:02:00Z,3\n')]);

test('Dropbox: a commit in doubt after one whose answer a kill lost, then a further change: the copy is replaced, no "(1)"', async () => {
  // The state two in-doubt commits leave, as the journal holds it: version 1 was committed just
  // before a kill that lost its answer (`writing`, no revision), the logger appended (version 2),
  // whose commit was noted and then failed (Dropbox full), and the logger appended again.
  await afterAKill(
    async (dirs, emulator, journal) => {
      emulator.putFile(remote, v1);
      const t = await inTransit(dirs, rel, v3);
      journal.put(rel, {
        size: v2.length,
        mtimeMs: t.mtimeMs - 60_000,
        dev: t.dev,
        ino: t.ino,
        attempts: 0,
        nextTryMs: 0,
        supersedes: { upload: { path: remote, contentHash: dropboxContentHash(v1) } },
        writing: { upload: { path: remote, contentHash: dropboxContentHash(v2) } },
      });
    },
    async ({ dirs, emulator, later }) => {
      for (let i = 0; i < 4 && (await listFilesRel(dirs.transitDir)).length > 0; i++) await later();
      assert.deepEqual(
        emulator.listFiles().map((f) => [f.pathDisplay, f.contentHash]),
        [[remote, dropboxContentHash(v3)]],
        'one copy on Dropbox, the last version, no "(1)"',
      );
    },
  );
});

test('Dropbox: a commit a kill cut off that went to the keep-both name (another file at the name) is ours: the next version replaces it, no "(2)"', async () => {
  // Another party's file has the name, so the commit noted for it found a conflict and went to
  // "name (1)"; the kill came before its answer was saved.
  const theirs = Buffer.from('someone else,s file\n');
  const ours1 = `/RDL/site1/RDL/USB0/RDL_2026-12-03_USB0 (1).txt`;
  await afterAKill(
    async (dirs, emulator, journal) => {
      emulator.putFile(remote, theirs);
      emulator.putFile(ours1, v1);
      const t = await inTransit(dirs, rel, v1);
      journal.put(rel, {
        size: v1.length,
        mtimeMs: t.mtimeMs,
        dev: t.dev,
        ino: t.ino,
        attempts: 0,
        nextTryMs: 0,
        writing: { upload: { path: remote, contentHash: dropboxContentHash(v1) } },
      });
    },
    async ({ dirs, emulator, later }) => {
      // The archive folder is away: the file stays in transit once Dropbox has it.
      await fs.rm(dirs.archiveDir, { recursive: true });
      await later();
      await fs.appendFile(path.join(dirs.transitDir, ...rel.split('/')), v2.subarray(v1.length));
      await fs.mkdir(dirs.archiveDir);
      for (let i = 0; i < 4 && (await listFilesRel(dirs.transitDir)).length > 0; i++) await later();
      assert.deepEqual(await listFilesRel(dirs.transitDir), [], 'the file left transit');
      assert.deepEqual(
        emulator.listFiles().map((f) => [f.pathDisplay, f.contentHash]),
        [
          [ours1, dropboxContentHash(v2)],
          [remote, dropboxContentHash(theirs)],
        ],
        'their file kept, ours replaced in place, no "(2)"',
      );
    },
  );
});
