// Files flow through a pass (pipeline/file-flow.ts): each goes to its legs as soon as it is staged,
// and at most `windowSize` files are between found and settled. On real parts (pass-rig.ts): real
// folders, the emulator through the real SDK, the real archive folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { canMount, mountTmpfs, unmount } from '../archive/helpers.js';
import { mapSource, type Source } from '../../src/engine/channel.js';
import type { DestinationLeg, PlaceItem } from '../../src/engine/legs/leg.js';
import { withRig } from './pass-rig.js';

/** A pass that waits on itself would hang: the test fails instead. */
const DEADLOCK_MS = 120_000;

async function until(what: string, cond: () => boolean, deadlineMs = 20_000): Promise<boolean> {
  const end = Date.now() + deadlineMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  void what;
  return true;
}

test(
  'a file reaches Dropbox and the card while another one of the same pass is still being staged',
  { timeout: DEADLOCK_MS },
  async () => {
    await withRig(async (r) => {
      for (const n of [1, 2, 3]) await r.drop(`USB0/early-${n}.csv`, `t,v\n${n},${n}\n`);
      await r.drop('USB0/late.csv', 't,v\n9,9\n');
      const realStage = r.deps.stage;
      let lateWaitedFor: boolean | undefined;
      r.deps.stage = async (file) => {
        if (file.rel === 'USB0/late.csv') {
          // Held back until another file of this pass is on both destinations. A pass that stages
          // everything before any leg runs would wait here until the deadline.
          lateWaitedFor = await until('an early file done on both legs', () => {
            const done = (leg: string) =>
              r.events.some((e) => e.type === 'leg-done' && e.leg === leg && e.rel !== file.rel);
            return done('upload') && done('archive');
          });
        }
        return realStage(file);
      };
      const { report, events } = await r.pass();
      assert.equal(lateWaitedFor, true, 'an early file was done before the late one was staged');
      assert.equal(report.staged, 4);
      assert.equal(report.done, 4, 'every file done in the one pass');
      assert.equal(report.remainingInTransit, 0);
      const order = events.flatMap((e) =>
        e.type === 'staged' || (e.type === 'leg-done' && e.leg === 'upload')
          ? [`${e.type}:${e.rel}`]
          : [],
      );
      assert.ok(
        order.indexOf('staged:USB0/late.csv') > order.findIndex((w) => w.startsWith('leg-done')),
        `upload done before the last staging: ${order.join(' ')}`,
      );
      // Still batched, not one commit per file: the early files' commit (or two, when the first of
      // them went up alone while the link was idle and the others came after its answer) and the
      // late one's.
      const stats = r.emulator.stats();
      assert.ok((stats['files/upload_session/finish_batch_v2'] ?? 0) < 4, JSON.stringify(stats));
      assert.equal(stats['files/upload_session/finish'] ?? 0, 0);
      assert.equal(stats['files/upload'] ?? 0, 0);
    });
  },
);

/** A leg that counts the files it was given and has not answered for yet. */
function counting(leg: DestinationLeg, held: { now: number; max: number }): DestinationLeg {
  const wrap = (items: Source<PlaceItem>): Source<PlaceItem> =>
    mapSource(items, (item) => {
      held.now++;
      held.max = Math.max(held.max, held.now);
      return item;
    });
  return {
    id: leg.id,
    label: leg.label,
    check: () => leg.check(),
    ...(leg.prepare ? { prepare: (sizes: readonly number[]) => leg.prepare?.(sizes) } : {}),
    place: (items, sink) =>
      leg.place(wrap(items as Source<PlaceItem>), {
        ...sink,
        onOutcome: (o) => {
          held.now--;
          sink.onOutcome(o);
        },
      }),
  };
}

test(
  'at most windowSize files are in the flow at once, and a full flow never waits on a batching leg',
  { timeout: DEADLOCK_MS },
  async () => {
    await withRig(async (r) => {
      const files = 25;
      for (let n = 0; n < files; n++) await r.drop(`USB0/f-${n}.csv`, `t,v\n${n},${n}\n`);
      const held = { upload: { now: 0, max: 0 }, archive: { now: 0, max: 0 } };
      r.deps.windowSize = 3;
      r.deps.legs = r.deps.legs.map((leg) => counting(leg, held[leg.id]));
      const { report } = await r.pass();
      // Dropbox commits up to 1000 files at once; with room for 3 it must commit 3 or fewer at a
      // time instead of waiting for more (which the full flow would never hand it).
      assert.equal(report.done, files);
      assert.equal(report.remainingInTransit, 0);
      for (const leg of ['upload', 'archive'] as const) {
        assert.ok(held[leg].max <= 3, `${leg} held ${held[leg].max} files at once`);
        assert.ok(held[leg].max >= 1, `${leg} was given files`);
        assert.equal(held[leg].now, 0, `${leg} answered for every file it was given`);
      }
      const stats = r.emulator.stats();
      assert.ok((stats['files/upload_session/finish_batch_v2'] ?? 0) >= Math.ceil(files / 3));
    });
  },
);

test(
  'a leg blocked in the middle of a pass stops taking files; the other leg still finishes them all',
  { timeout: DEADLOCK_MS },
  async () => {
    await withRig(async (r) => {
      const files = 30;
      for (let n = 0; n < files; n++) await r.drop(`USB0/b-${n}.csv`, `t,v\n${n},${n}\n`);
      r.deps.windowSize = 5;
      // The connection is revoked once the first file is on Dropbox.
      let commits = 0;
      const upload = r.deps.legs.find((l) => l.id === 'upload') as DestinationLeg;
      const realPlace = upload.place.bind(upload);
      upload.place = (items, sink) =>
        realPlace(items, {
          ...sink,
          onOutcome: (o) => {
            sink.onOutcome(o);
            if (o.ok && ++commits === 1) {
              r.emulator.revokeRefreshToken(r.refreshToken);
              r.emulator.expireAccessTokens({ afterCalls: 0 });
            }
          },
        });
      const { report, events } = await r.pass();
      assert.equal(report.uploadBlocked?.code, 'auth-revoked');
      assert.equal(report.archived, files, 'every file reached the card');
      assert.ok(report.uploaded >= 1 && report.uploaded < files, `uploaded ${report.uploaded}`);
      assert.equal(report.done, report.uploaded, 'the uploaded ones are done');
      assert.equal(report.remainingInTransit, files - report.done, 'the rest wait in transit');
      assert.ok(events.some((e) => e.type === 'leg-blocked' && e.leg === 'upload'));
    });
  },
);

test(
  'a card too full for some files keeps taking the others, and a full flow does not wait on the ones it left',
  { timeout: DEADLOCK_MS },
  async (t) => {
    if (!(await canMount()))
      return t.skip('this machine does not allow mounting a tmpfs (needs root)');
    await withRig(async (r) => {
      // A 4 MiB card: one 2 MiB file fits beside the 1 MiB reserve, the next ones do not.
      mountTmpfs(r.archiveDir, 4 * 1024);
      try {
        const big = 6;
        const small = 20;
        for (let n = 0; n < big; n++)
          await r.drop(`cameras/big-${n}.jpg`, randomBytes(2 * 1024 * 1024));
        for (let n = 0; n < small; n++) await r.drop(`USB0/s-${n}.csv`, `t,v\n${n},${n}\n`);
        // Room for 3 files: the big ones the card leaves (at least 5) must not hold it.
        r.deps.windowSize = 3;
        const { report } = await r.pass();
        assert.equal(report.archiveBlocked?.code, 'archive-full', JSON.stringify(report));
        assert.equal(report.uploaded, big + small, 'Dropbox took every file');
        assert.ok(report.done >= small, `done ${report.done}`);
        assert.ok(report.remainingInTransit >= big - 1 && report.remainingInTransit < big);
        const onCard = await fs.readdir(path.join(r.archiveDir, 'USB0'));
        assert.equal(onCard.length, small, 'every small file reached the card');
      } finally {
        unmount(r.archiveDir);
      }
    });
  },
);

test(
  'files Dropbox will not take in a batch go one by one while others still come: a full flow does not wait for the end',
  { timeout: DEADLOCK_MS },
  async () => {
    await withRig(async (r) => {
      const files = 12;
      for (let n = 0; n < files; n++) await r.drop(`USB0/one-${n}.csv`, `t,v\n${n},${n}\n`);
      // A server that refuses append_batch (400): every file takes the one-file way.
      r.emulator.addFault({
        route: 'files/upload_session/append_batch',
        kind: 'server_error',
        status: 400,
        times: 1000,
      });
      r.deps.windowSize = 3;
      const { report } = await r.pass();
      assert.equal(report.uploaded, files);
      assert.equal(report.done, files);
      const stats = r.emulator.stats();
      assert.ok((stats['files/upload_session/start'] ?? 0) >= files, JSON.stringify(stats));
    });
  },
);
