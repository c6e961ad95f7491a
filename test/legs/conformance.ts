// One conformance suite every destination passes (the idea of rclone's fstests): the pass relies
// on these promises of the leg port, whatever the destination. Each leg's test file supplies a
// subject on real parts (the emulator through the real SDK, a real tmpfs card) and runs this.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SyncError } from '../../src/engine/errors.js';
import { hashFileDropbox } from '../../src/engine/fsutil/copy-hashed.js';
import { keepBothName } from '../../src/engine/legs/keep-both.js';
import type { DestinationLeg, PlaceItem, PlaceOutcome } from '../../src/engine/legs/leg.js';

export interface LegSubject {
  leg: DestinationLeg;
  /** A local folder for the transit copies the suite writes. */
  transitDir: string;
  /** Where the leg places `rel` when nothing is in the way (as the leg reports paths). */
  targetPathOf(rel: string): string;
  /** Someone else's file at a destination path. */
  putForeign(path: string, content: Buffer): Promise<void>;
  /** The bytes at a destination path, or null when nothing is there. */
  read(path: string): Promise<Buffer | null>;
  /** Makes the whole leg unusable (card pulled, access revoked). */
  block(): Promise<void>;
  /** The code a blocked leg reports (archive-missing, auth-revoked). */
  blockedCode: string;
  /** Whether the leg's health check itself sees the block (the card can be looked at; Dropbox only by a call). */
  checkSeesBlock: boolean;
}

export interface Placed {
  outcomes: PlaceOutcome[];
  blocked: SyncError | null;
  started: string[];
}

/** Runs `place` and collects what the leg reported. */
export async function placeAll(leg: DestinationLeg, items: PlaceItem[]): Promise<Placed> {
  const outcomes: PlaceOutcome[] = [];
  const started: string[] = [];
  const blocked = await leg.place(items, {
    onStarted: (rel) => started.push(rel),
    onOutcome: (o) => outcomes.push(o),
  });
  return { outcomes, blocked, started };
}

function okOf(p: Placed, rel: string): Extract<PlaceOutcome, { ok: true }> {
  const o = p.outcomes.find((x) => x.rel === rel);
  assert.ok(o, `an outcome for ${rel}`);
  assert.ok(o.ok, `${rel} placed: ${o.ok ? '' : o.error.message}`);
  return o;
}

/** 300 characters: longer than Dropbox allows and than a Linux file system's name limit. */
const TOO_LONG = `${'n'.repeat(296)}.csv`;

export function legConformance(
  name: string,
  open: () => Promise<LegSubject & { close(): Promise<void> }>,
): void {
  let n = 0;
  const run = (
    what: string,
    body: (
      s: LegSubject,
      file: (rel: string, content: Buffer | string) => Promise<PlaceItem>,
    ) => Promise<void>,
  ): void => {
    test(`${name} leg: ${what}`, async () => {
      const s = await open();
      const file = async (rel: string, content: Buffer | string): Promise<PlaceItem> => {
        const localPath = join(s.transitDir, `case${n++}`, rel);
        await mkdir(dirname(localPath), { recursive: true });
        await writeFile(localPath, content);
        const st = await stat(localPath);
        return { rel, localPath, size: st.size, mtimeMs: st.mtimeMs };
      };
      try {
        await body(s, file);
      } finally {
        await s.close();
      }
    });
  };

  run(
    'a healthy destination checks clean; a placed file holds the local bytes and the verified hash equals the local one',
    async (s, file) => {
      assert.equal((await s.leg.check()).problem, null);
      const a = await file('USB0/a.csv', 'time,value\n1,2\n');
      const big = await file('USB0/b.bin', Buffer.alloc(5 * 1024 * 1024 + 7, 7));
      const p = await placeAll(s.leg, [a, big]);
      assert.equal(p.blocked, null);
      for (const item of [a, big]) {
        const o = okOf(p, item.rel);
        assert.equal(o.path, s.targetPathOf(item.rel));
        assert.equal(o.alreadyPresent, false);
        assert.equal(
          o.contentHash,
          await hashFileDropbox(item.localPath),
          'verified hash = local hash',
        );
        assert.deepEqual(await s.read(o.path), await readFile(item.localPath), 'the bytes arrived');
      }
      assert.deepEqual(
        [...p.started].sort(),
        [a.rel, big.rel].sort(),
        'each file reported as started',
      );
    },
  );

  run(
    'identical content already there counts as done (alreadyPresent), and placing again is idempotent',
    async (s, file) => {
      const bytes = Buffer.from('same bytes\n');
      const item = await file('USB0/same.csv', bytes);
      await s.putForeign(s.targetPathOf(item.rel), bytes);
      const first = okOf(await placeAll(s.leg, [item]), item.rel);
      assert.equal(first.alreadyPresent, true);
      assert.equal(first.path, s.targetPathOf(item.rel));
      assert.equal(first.contentHash, await hashFileDropbox(item.localPath));
      // A retry after a lost answer: still one copy, no `same (1).csv`.
      const again = okOf(await placeAll(s.leg, [item]), item.rel);
      assert.equal(again.alreadyPresent, true);
      assert.equal(again.path, s.targetPathOf(item.rel));
      assert.equal(
        await s.read(keepBothName(s.targetPathOf(item.rel), 1)),
        null,
        'no numbered copy',
      );
    },
  );

  run(
    'different content already there is kept: ours goes beside it under the keep-both name',
    async (s, file) => {
      const theirs = Buffer.from('someone else wrote this\n');
      const item = await file('USB0/clash.csv', 'ours\n');
      await s.putForeign(s.targetPathOf(item.rel), theirs);
      const o = okOf(await placeAll(s.leg, [item]), item.rel);
      assert.equal(o.path, keepBothName(s.targetPathOf(item.rel), 1));
      assert.equal(o.alreadyPresent, false);
      assert.deepEqual(await s.read(s.targetPathOf(item.rel)), theirs, 'their file untouched');
      assert.deepEqual(await s.read(o.path), Buffer.from('ours\n'));
    },
  );

  run(
    'a later version replaces our own earlier copy in place: no name (n) copy',
    async (s, file) => {
      const v1 = await file('USB0/grow.csv', 'v1\n');
      const first = okOf(await placeAll(s.leg, [v1]), v1.rel);
      const v2 = await file('USB0/grow.csv', 'v1\nv2 longer\n');
      const replace = {
        path: first.path,
        contentHash: first.contentHash,
        ...(first.rev ? { rev: first.rev } : {}),
      };
      const second = okOf(await placeAll(s.leg, [{ ...v2, replace }]), v2.rel);
      assert.equal(second.path, first.path, 'same place as the earlier version');
      assert.equal(second.contentHash, await hashFileDropbox(v2.localPath));
      assert.deepEqual(await s.read(first.path), Buffer.from('v1\nv2 longer\n'));
      assert.equal(await s.read(keepBothName(first.path, 1)), null, 'no numbered copy');
    },
  );

  run(
    'a copy is told (beforeWrite) before it is written; a later version replaces it found by its content alone: no name (n) copy',
    async (s, file) => {
      const v1 = await file('USB0/told.csv', 'v1\n');
      const events: string[] = [];
      const told: { rel: string; path: string; contentHash: string }[] = [];
      await s.leg.place([v1], {
        beforeWrite: async (copies) => {
          told.push(...copies);
          events.push('told');
        },
        onOutcome: (o) => events.push(o.ok ? 'placed' : `failed: ${o.error.message}`),
      });
      assert.deepEqual(events, ['told', 'placed'], 'told before the outcome');
      assert.equal(told.length, 1);
      assert.equal(told[0]!.rel, v1.rel);
      assert.equal(told[0]!.contentHash, await hashFileDropbox(v1.localPath));
      // The kill came before the outcome was saved: only what was told is known (no revision).
      const v2 = await file('USB0/told.csv', 'v1\nv2 longer\n');
      const replace = { path: told[0]!.path, contentHash: told[0]!.contentHash };
      const second = okOf(await placeAll(s.leg, [{ ...v2, replace }]), v2.rel);
      assert.equal(second.path.toLowerCase(), told[0]!.path.toLowerCase(), 'in place of the first');
      assert.deepEqual(await s.read(second.path), Buffer.from('v1\nv2 longer\n'));
      assert.equal(await s.read(keepBothName(second.path, 1)), null, 'no numbered copy');
    },
  );

  run(
    'a name the destination refuses fails that file alone (file-failed); the others are placed',
    async (s, file) => {
      const good = await file('USB0/good.csv', 'fine\n');
      const bad = await file('USB0/bad.csv', 'refused name\n');
      const p = await placeAll(s.leg, [{ ...bad, rel: `USB0/${TOO_LONG}` }, good]);
      assert.equal(p.blocked, null, 'one bad name never blocks the leg');
      okOf(p, good.rel);
      const failed = p.outcomes.find((o) => o.rel === `USB0/${TOO_LONG}`);
      assert.ok(failed && !failed.ok, 'the bad name has a failed outcome');
      assert.equal(failed.error.kind, 'file-failed');
      assert.match(failed.error.message, /name|long/i, 'the message names the trouble');
    },
  );

  run(
    'a blocked destination is blocked for the leg, not a failure of each file',
    async (s, file) => {
      const a = await file('USB0/x.csv', 'x\n');
      const b = await file('USB0/y.csv', 'y\n');
      await s.block();
      if (s.checkSeesBlock) {
        const health = await s.leg.check();
        assert.equal(health.problem?.kind, 'blocked');
        assert.equal(health.problem?.code, s.blockedCode);
      }
      const p = await placeAll(s.leg, [a, b]);
      assert.ok(p.blocked instanceof SyncError, 'the leg reports its block');
      assert.equal(p.blocked.kind, 'blocked');
      assert.equal(p.blocked.code, s.blockedCode);
      assert.equal(
        p.outcomes.filter((o) => !o.ok).length,
        0,
        'no file is marked failed for a block (they wait, without back-off)',
      );
    },
  );
}
