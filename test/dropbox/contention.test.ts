// Namespace lock contention as Dropbox sends it: too_many_write_operations per batch entry and in
// a 409, without Retry-After. The client backs off with growth and jitter and keeps committing
// in batches (never one finish per file).
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Clock, UploadItem } from '../../src/engine/ports.js';
import { FAST_RETRY, makeRig, MiB, pattern, type Rig } from './helpers.js';

let rig: Rig;
before(async () => {
  rig = await makeRig();
});
after(async () => {
  await rig.close();
});
beforeEach(() => {
  rig.emu.clearFaults();
  rig.emu.resetStats();
});

/** Records every wait and returns at once (no test sits in a backoff). */
function recordingClock(): Clock & { waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    now: () => Date.now(),
    sleep: async (ms, signal) => {
      signal?.throwIfAborted();
      waits.push(ms);
    },
  };
}

const calls = (route: string): number => rig.emu.stats()[`files/upload_session/${route}`] ?? 0;

async function files(prefix: string, n: number, size: number): Promise<UploadItem[]> {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await rig.file(`${prefix}/f${i}.bin`, pattern(size, i + 7)));
  return out;
}

test('per-entry contention: waits grow from the contention base, the batch is committed again whole', async () => {
  const items = await files('lock', 30, 700);
  rig.emu.addFault({
    route: 'files/upload_session/finish_batch_v2',
    kind: 'lock_contention',
    times: 3,
  });
  const clock = recordingClock();
  const out = await rig.store({ clock }).uploadMany(items);
  assert.deepEqual(
    out.filter((o) => !o.ok),
    [],
  );
  assert.equal(calls('finish_batch_v2'), 4, 'three contended batches, then the one that lands');
  assert.equal(calls('finish'), 0, 'never one commit per file');
  const base = FAST_RETRY.contentionBaseMs;
  assert.equal(clock.waits.length, 3, `waits ${clock.waits.join(', ')}`);
  clock.waits.forEach((w, n) => {
    const ceiling = Math.min(FAST_RETRY.contentionCapMs, base * 2 ** n);
    assert.ok(w >= ceiling / 2 && w <= ceiling, `wait ${n} = ${w} ms, ceiling ${ceiling}`);
  });
  assert.equal(rig.emu.listFiles().filter((f) => f.pathDisplay.includes('/lock/')).length, 30);
});

test('a 409 too_many_write_operations on a large file commit backs off with growth', async () => {
  const item = await rig.file('lock/big.bin', pattern(9 * MiB, 3));
  rig.emu.addFault({ route: 'files/upload_session/finish', kind: 'lock_contention', times: 2 });
  const clock = recordingClock();
  const [out] = await rig.store({ clock }).uploadMany([item]);
  assert.ok(out?.ok, JSON.stringify(out));
  const base = FAST_RETRY.contentionBaseMs;
  assert.equal(clock.waits.length, 2, `waits ${clock.waits.join(', ')}`);
  assert.ok((clock.waits[0] ?? 0) >= base / 2 && (clock.waits[1] ?? 0) >= base);
});

test('contention that outlasts the retries fails those files for a later pass, with no per-file commits', async () => {
  const items = await files('stuck', 5, 300);
  rig.emu.addFault({
    route: 'files/upload_session/finish_batch_v2',
    kind: 'lock_contention',
    times: 50,
  });
  const out = await rig
    .store({ clock: recordingClock(), retry: { ...FAST_RETRY, maxAttempts: 3 } })
    .uploadMany(items);
  for (const o of out) {
    assert.equal(o.ok, false);
    if (!o.ok) {
      assert.equal(o.error.code, 'write-contention');
      assert.equal(o.error.kind, 'retry');
    }
  }
  assert.equal(calls('finish_batch_v2'), 3);
  assert.equal(calls('finish'), 0);
});
