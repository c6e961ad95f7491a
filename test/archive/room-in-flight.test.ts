// Copies in flight hold the room they will take on the card (archive/room.ts). Each large copy used
// to check free space as if it were alone: two that fit alone but not together both started,
// filled a real card between them, and usually both failed, so the card was reported full with
// more free than needed ("13 MB free, 8.4 MB needed") while neither file, each of which fits,
// reached it. On a real tmpfs card, with transit on another file system so the bytes are copied.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ArchiveTarget, ARCHIVE_WORK_DIR } from '../../src/engine/archive/index.js';
import { ArchiveLeg } from '../../src/engine/legs/archive-leg.js';
import type { PlaceItem, PlaceOutcome } from '../../src/engine/legs/leg.js';
import { canMount, removeDir, smallTmpfs, tempDir } from './helpers.js';

const MiB = 1024 * 1024;

async function transitFiles(t: TestContext, sizes: Record<string, number>): Promise<PlaceItem[]> {
  const transit = await tempDir('rdl-room-transit-');
  t.after(() => removeDir(transit));
  const items: PlaceItem[] = [];
  for (const [rel, size] of Object.entries(sizes)) {
    const localPath = join(transit, rel);
    await writeFile(localPath, randomBytes(size));
    const s = await stat(localPath);
    items.push({ rel, localPath, size: s.size, mtimeMs: s.mtimeMs });
  }
  return items;
}

/** One pass of the archive leg over `items`: what each file got, and what blocked the leg. */
async function place(card: string, items: PlaceItem[]) {
  const leg = new ArchiveLeg(new ArchiveTarget({ root: card, mustBeMountPoint: true }));
  const outcomes: PlaceOutcome[] = [];
  const left: string[] = [];
  const wrote = new Set<string>();
  const blocked = await leg.place(items, {
    onOutcome: (o) => outcomes.push(o),
    onLeft: (rel) => left.push(rel),
    onProgress: (rel, bytes) => {
      if (bytes > 0) wrote.add(rel);
    },
  });
  return { blocked, outcomes, left, wrote };
}

/** The figures a full card's sentence gives, in MB. */
function figures(message: string): { free: number; needed: number } {
  const m = /\(([\d.]+) MB free, ([\d.]+) MB needed[:)]/.exec(message);
  assert.ok(m, message);
  return { free: Number(m[1]), needed: Number(m[2]) };
}

test('two copies that fit alone but not together: one reaches the card, the other is full without a byte written', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const card = smallTmpfs(t, 'rdl-room-card-', 12 * 1024);
  const items = await transitFiles(t, { 'a.bin': 7 * MiB, 'b.bin': 7 * MiB });

  const { blocked, outcomes, left, wrote } = await place(card, items);

  assert.equal(blocked?.code, 'archive-full', blocked?.message);
  const { free, needed } = figures(blocked.message);
  assert.ok(free < needed, `a card said full must lack the room: ${blocked.message}`);
  assert.equal(outcomes.length, 1, JSON.stringify({ outcomes, left }));
  const [landed] = outcomes;
  assert.ok(landed?.ok, JSON.stringify(landed));
  assert.equal(left.length, 1);
  const [waits] = left;
  assert.ok(waits !== undefined);
  assert.ok(!wrote.has(waits), `${waits} waited for room instead of filling the card`);
  assert.deepEqual((await readdir(card)).sort(), [ARCHIVE_WORK_DIR, landed.rel].sort());
  assert.deepEqual(await readdir(join(card, ARCHIVE_WORK_DIR)), [], 'no partial copy left');
});

test('two copies that fit together, though not each with its own reserve: both reach the card', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  // 2 x 5.25 MiB = 10.5 MiB of a 12 MiB card: room for both and one 1 MiB reserve, not two.
  const card = smallTmpfs(t, 'rdl-room-card-', 12 * 1024);
  const size = 5.25 * MiB;
  const items = await transitFiles(t, { 'a.bin': size, 'b.bin': size });

  const { blocked, outcomes, left } = await place(card, items);

  assert.equal(blocked, null, blocked?.message);
  assert.deepEqual(left, []);
  assert.deepEqual(outcomes.map((o) => [o.rel, o.ok]).sort(), [
    ['a.bin', true],
    ['b.bin', true],
  ]);
  for (const rel of ['a.bin', 'b.bin']) assert.equal((await stat(join(card, rel))).size, size);
});

test('a file larger than the free space is still reported full at once, and smaller ones go', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const card = smallTmpfs(t, 'rdl-room-card-', 8 * 1024);
  // Half the card taken: the big file fits the card but not what is left of it (one larger than
  // the whole card fails alone instead: archive/real-card).
  await writeFile(join(card, 'older.bin'), Buffer.alloc(4 * MiB, 1));
  const items = await transitFiles(t, { 'big.bin': 5 * MiB, 'small.bin': 2 * MiB });

  const { blocked, outcomes, left, wrote } = await place(card, items);

  assert.equal(blocked?.code, 'archive-full', blocked?.message);
  const { free, needed } = figures(blocked.message);
  assert.ok(free < needed, blocked.message);
  assert.deepEqual(left, ['big.bin']);
  assert.ok(!wrote.has('big.bin'));
  assert.deepEqual(
    outcomes.map((o) => [o.rel, o.ok]),
    [['small.bin', true]],
  );
  const work = await readdir(join(card, ARCHIVE_WORK_DIR)).catch(() => []);
  assert.deepEqual(work, [], 'no partial copy left');
});

test('a copy waiting for room ends when the pass is stopped', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const card = smallTmpfs(t, 'rdl-room-card-', 12 * 1024);
  const items = await transitFiles(t, { 'a.bin': 7 * MiB, 'b.bin': 7 * MiB });
  // Two large copies at once, as with the systemd unit's thread pool (a pool of 4 has one).
  const leg = new ArchiveLeg(new ArchiveTarget({ root: card, mustBeMountPoint: true }), 2);
  const stop = new AbortController();
  const answered: string[] = [];
  // Stopped as the first copy's bytes start to move: the other one is waiting for room then.
  await leg.place(items, {
    signal: stop.signal,
    onProgress: () => stop.abort(new Error('stopped')),
    onOutcome: (o) => answered.push(o.rel),
    onLeft: (rel) => answered.push(rel),
  });
  assert.deepEqual(answered.sort(), ['a.bin', 'b.bin'], 'each file answered for, none hangs');
  const work = await readdir(join(card, ARCHIVE_WORK_DIR)).catch(() => []);
  assert.deepEqual(work, [], 'no partial copy left');
});
