// The archive leg's small copies to a card (another file system: copies, not links) are told to
// beforeWrite as a group, and none takes its final name before the save that holds it: a refused
// copy is never placed, and a copy that must go under another name (keep both) is told again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ArchiveTarget } from '../../src/engine/archive/index.js';
import { ArchiveLeg } from '../../src/engine/legs/archive-leg.js';
import type { PlaceItem, PlaceOutcome, WriteToCome } from '../../src/engine/legs/leg.js';
import { SyncError } from '../../src/engine/errors.js';
import { canMount, mountTmpfs, removeDir, tempDir, unmount } from '../archive/helpers.js';

const FILES = 40;

test(
  'small copies to a card: told in one save per group, each before it takes its name; a refused copy is not placed, a renamed one is told again',
  { timeout: 60_000 },
  async (t) => {
    if (!(await canMount())) return t.skip('needs root for a tmpfs card');
    const dir = await tempDir('rdl-group-save-');
    const card = join(dir, 'card');
    await mkdir(card);
    mountTmpfs(card, 8 * 1024);
    try {
      const items: PlaceItem[] = [];
      for (let i = 0; i < FILES; i++) {
        const rel = `USB0/d${i % 3}/f${i}.csv`;
        const localPath = join(dir, 'transit', rel);
        await mkdir(dirname(localPath), { recursive: true });
        await writeFile(localPath, `t,v\n${i},${'x'.repeat(i * 37)}\n`);
        const st = await stat(localPath);
        items.push({ rel, localPath, size: st.size, mtimeMs: st.mtimeMs });
      }
      // Someone else's file takes one name while its copy waits for the save: ours goes beside
      // it, told again under that name.
      const racedRel = 'USB0/d1/f4.csv';
      const foreign = join(card, racedRel);
      const refusedRel = 'USB0/d2/f5.csv';

      const saves: WriteToCome[][] = [];
      const early: string[] = [];
      const outcomes: PlaceOutcome[] = [];
      const blocked = await new ArchiveLeg(
        new ArchiveTarget({ root: card, mustBeMountPoint: true }),
      ).place(items, {
        beforeWrite: async (copies) => {
          saves.push([...copies]);
          for (const c of copies) {
            if (await stat(c.path).catch(() => null)) early.push(c.path);
            if (c.path === foreign) await writeFile(foreign, 'not ours\n');
          }
          const refusal = new SyncError({ kind: 'retry', code: 'file-zeroed', message: 'held' });
          return copies.some((c) => c.rel === refusedRel)
            ? new Map([[refusedRel, refusal]])
            : undefined;
        },
        onOutcome: (o) => outcomes.push(o),
      });

      assert.equal(blocked, null);
      assert.deepEqual(early, [], 'no copy had its final name before it was saved');
      const told = saves.flat();
      assert.equal(new Set(told.map((c) => c.rel)).size, FILES, 'every copy told');
      assert.ok(
        saves.length <= 3,
        `${saves.length} saves for ${FILES} copies: one for the group, one for the copy kept beside`,
      );
      const beside = told.filter((c) => c.rel === racedRel).map((c) => c.path);
      assert.deepEqual(
        beside.map((p) => p.slice(card.length + 1)),
        ['USB0/d1/f4.csv', 'USB0/d1/f4 (1).csv'],
        'told under its name, then again under the name it took',
      );
      assert.equal(await readFile(foreign, 'utf8'), 'not ours\n', 'the other file is untouched');

      const refused = outcomes.find((o) => o.rel === refusedRel);
      assert.ok(refused && !refused.ok && refused.error.code === 'file-zeroed');
      assert.equal(await stat(join(card, refusedRel)).catch(() => null), null, 'not placed');
      const placed = outcomes.filter((o) => o.ok);
      assert.equal(placed.length, FILES - 1);
      for (const o of placed) {
        const item = items.find((i) => i.rel === o.rel)!;
        assert.deepEqual(await readFile(o.path), await readFile(item.localPath), o.rel);
      }
    } finally {
      unmount(card);
      await removeDir(dir);
    }
  },
);
