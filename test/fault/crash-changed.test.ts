// A file that changes in transit (a writer that kept its descriptor through the rename) after
// the daemon was killed right after Dropbox committed the earlier version: the journal saves at
// most every FLUSH_DELAY_MS, so the commit may not be on disk. The next daemon must still replace
// that copy, never keep the new version beside it as `name (1).txt` (the sites' merge tool folds
// every .txt of a folder into the data: a second copy doubles its rows).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { dropboxContentHash } from '../../tools/emulator/index.js';
import { Journal } from '../../src/engine/journal/index.js';
import { listFilesRel, localHash, withHarness } from '../engine/harness.js';
import { bindMount, canMount, mountTmpfs, unmount } from '../archive/helpers.js';
import { spawnSync } from 'node:child_process';
import { killHard, summary, waitUntil, withScenario, assertClean } from './crash-harness.js';

const ROUNDS = Number(process.env.CRASH_CHANGED_ROUNDS ?? 6);

test(
  'killed right after a commit, the file then changed in transit: the new version replaces the copy on Dropbox, no "(1)"',
  { timeout: 300_000 },
  async () => {
    const settings = { stableSeconds: 0, intervalSeconds: 2, archiveMustBeMountPoint: true };
    await withScenario('changed', settings, async (s) => {
      // The card is out (its folder is no mount point) while the rounds run, so each file stays in
      // transit after its upload.
      let inDoubt = 0;
      for (let i = 0; i < ROUNDS; i++) {
        const rel = `USB0/RDL_2026-12-${String(i + 1).padStart(2, '0')}_USB0.txt`;
        // Every third file is larger than a chunk: sent in its own session, committed alone.
        const rows = i % 3 === 2 ? (5 * 1024 * 1024) / 32 : 1;
        const v1 = Buffer.from(`time,value\n${`${i},1,${'x'.repeat(24)}\n`.repeat(rows)}`);
        await s.write(rel, v1);
        const child = s.startDaemon();
        await s.started(child);
        const remote = `/RDL/site1/${rel}`;
        await waitUntil(
          `${rel} on Dropbox`,
          async () => s.emulator.getFile(remote) !== undefined,
          30_000,
          2,
        );
        await killHard(child);
        // What matters is what the journal on disk knew at the kill: not that the upload was done.
        const journal = await Journal.open(path.join(s.dirs.configDir, 'journal.json'));
        if (journal.entry(rel)?.upload === undefined) inDoubt++;
        await journal.close();
        s.kills++;
        // The writer appends to the transit file it still holds open (same inode).
        const transit = path.join(s.dirs.transitDir, ...rel.split('/'));
        const more = Buffer.from(`${i},2\n`);
        await fs.appendFile(transit, more);
        s.expected.set(rel, dropboxContentHash(Buffer.concat([v1, more])));
      }
      const config = path.join(s.dirs.configDir, 'config.json');
      const saved = JSON.parse(await fs.readFile(config, 'utf8')) as Record<string, unknown>;
      await fs.writeFile(config, JSON.stringify({ ...saved, archiveMustBeMountPoint: false }));
      await s.drainAndStop(async () => (await listFilesRel(s.dirs.transitDir)).length === 0);
      const a = await s.audit();
      console.log(
        `${ROUNDS} kills (${inDoubt} before the journal saved the upload): ${summary(a)}`,
      );
      assert.ok(inDoubt > 0, 'at least one kill came before the journal saved the upload');
      assertClean(a);
    });
  },
);

test(
  'killed right after the card copy, the file then changed in transit: the new version replaces the card copy, no "(1)"',
  { timeout: 300_000 },
  async (t) => {
    if (!(await canMount())) return t.skip('needs root for a tmpfs card');
    await withScenario('changed-card', { stableSeconds: 0 }, async (s) => {
      // A card of its own (a copy, not a hard link of the transit file); Dropbox full meanwhile,
      // so each file stays in transit after its card copy.
      mountTmpfs(s.dirs.archiveDir, 64 * 1024);
      try {
        s.emulator.setQuota(0);
        let inDoubt = 0;
        for (let i = 0; i < ROUNDS; i++) {
          const rel = `USB0/RDL_2026-12-${String(i + 1).padStart(2, '0')}_USB0.txt`;
          const v1 = Buffer.from(`time,value\n${i},1\n`);
          await s.write(rel, v1);
          const child = s.startDaemon();
          await s.started(child);
          const card = path.join(s.dirs.archiveDir, ...rel.split('/'));
          await waitUntil(
            `${rel} on the card`,
            async () => (await fs.stat(card).catch(() => null)) !== null,
            30_000,
            2,
          );
          await killHard(child);
          const journal = await Journal.open(path.join(s.dirs.configDir, 'journal.json'));
          if (journal.entry(rel)?.archive === undefined) inDoubt++;
          await journal.close();
          s.kills++;
          const transit = path.join(s.dirs.transitDir, ...rel.split('/'));
          const more = Buffer.from(`${i},2\n`);
          await fs.appendFile(transit, more);
          s.expected.set(rel, dropboxContentHash(Buffer.concat([v1, more])));
        }
        s.emulator.setQuota(1024 ** 4);
        await s.drainAndStop(async () => (await listFilesRel(s.dirs.transitDir)).length === 0);
        const a = await s.audit();
        console.log(
          `${ROUNDS} kills (${inDoubt} before the journal saved the card copy): ${summary(a)}`,
        );
        assert.ok(inDoubt > 0, 'at least one kill came before the journal saved the card copy');
        assertClean(a);
      } finally {
        unmount(s.dirs.archiveDir);
      }
    });
  },
);

test('a file recorded done whose removal from transit never came, then written in transit: the new version replaces both copies, no "(1)"', async (t) => {
  if (!(await canMount())) return t.skip('needs root for a read-only bind mount');
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  await withHarness({ engine: { clock } }, async (h) => {
    const rel = 'RDL/USB0/RDL_2026-12-07_USB0.txt';
    const v1 = Buffer.from('2026-12-07 00:00:00,18.5,60\n'.repeat(300));
    // The card away: the file reaches Dropbox and waits in transit.
    const away = `${h.archiveDir}.away`;
    await fs.rename(h.archiveDir, away);
    await h.drop(rel, v1);
    await h.engine.runPassNow();
    assert.equal(h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash, dropboxContentHash(v1));

    // The transit file's folder read-only: the file is copied to the card and recorded done, and
    // its removal fails, leaving it in transit marked finished: the state a kill between the
    // finished mark and the removal leaves (finish.ts).
    const folder = path.join(h.transitDir, 'RDL', 'USB0');
    bindMount(folder, folder);
    try {
      remountReadOnlyBind(folder);
      await fs.rename(away, h.archiveDir);
      await h.engine.runPassNow();
    } finally {
      unmount(folder);
    }
    assert.equal(h.engine.queryHistory({}).length, 1, 'recorded done');
    const transit = path.join(folder, 'RDL_2026-12-07_USB0.txt');
    assert.ok(await fs.stat(transit), 'still in transit');

    // A writer that kept its descriptor appends a line (the same inode).
    const more = Buffer.from('2026-12-07 00:00:10,18.6,60\n');
    await fs.appendFile(transit, more);
    const v2 = dropboxContentHash(Buffer.concat([v1, more]));
    for (let i = 0; i < 4 && (await listFilesRel(h.transitDir)).length > 0; i++) {
      offsetMs += 3_600_000; // past the settle after a change
      await h.engine.runPassNow();
    }
    assert.deepEqual(await listFilesRel(h.transitDir), [], 'the file left transit');
    assert.deepEqual(
      h.emulator.listFiles().map((f) => f.pathDisplay),
      [`/RDL/site1/${rel}`],
      'one copy on Dropbox, no "(1)"',
    );
    assert.equal(h.emulator.getFile(`/RDL/site1/${rel}`)?.contentHash, v2, 'the new version');
    assert.deepEqual(
      (await listFilesRel(h.archiveDir)).filter((f) => !f.startsWith('.')),
      [rel],
      'one card copy, no "(1)"',
    );
    assert.equal(await localHash(path.join(h.archiveDir, ...rel.split('/'))), v2);
  });
});

/** A bind mount made read-only (its own flag: the file system under it stays writable). */
function remountReadOnlyBind(dir: string): void {
  const r = spawnSync('mount', ['-o', 'remount,bind,ro', dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`remount ro ${dir} failed: ${r.stderr}`);
}
