// During a long Dropbox outage every pass looked at the arrival of every file in the queue to
// prune those that had left (PassMemory.arrivedMs, read by the silent-logger check): with 20,000
// files queued, part of the tens of ms of CPU each offline pass still cost. Now a pass prunes only
// the files it forgot (finished, or gone from transit by the last complete walk). The arrivals
// must stay exactly the files waiting in transit: across many passes, a file arriving mid-outage,
// a file taken out of transit by hand (pruned by the complete walk) and the queue draining. The
// real pass, real folders, the emulator behind a loopback relay taken down and brought back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { History } from '../../src/engine/history/index.js';
import { newPassMemory, runPass, type PassMemory } from '../../src/engine/pipeline/pass.js';
import { FULL_WALK_EVERY_MS } from '../../src/engine/pipeline/quiet-outage.js';
import { Relay } from '../dropbox/tcp-relay.js';
import { startPassRig, passDepsFor } from './pass-rig.js';

const QUEUED = 40;
const ITERATING = new Set<PropertyKey>([Symbol.iterator, 'keys', 'values', 'entries']);

/**
 * The memory's arrivals, with every arrival the pass reads by walking them counted (`reads`):
 * through an iterator, forEach, or `of` (one source's files, if they are kept by source).
 */
function countingArrivals(memory: PassMemory): { reads: number } {
  const counter = { reads: 0 };
  const target = memory.arrivedMs;
  const counted = <T>(inner: Iterator<T>): IterableIterator<T> => ({
    next() {
      const r = inner.next();
      if (!r.done) counter.reads++;
      return r;
    },
    [Symbol.iterator]() {
      return this;
    },
  });
  memory.arrivedMs = new Proxy(target, {
    get(t, prop) {
      const v: unknown = Reflect.get(t, prop, t);
      if (typeof v !== 'function') return v;
      const method = v as (...a: unknown[]) => unknown;
      if (ITERATING.has(prop))
        return (...args: unknown[]) =>
          counted((method.apply(t, args) as Iterable<unknown>)[Symbol.iterator]());
      if (prop === 'forEach')
        return (each: (...a: unknown[]) => void) =>
          method.call(t, (...a: unknown[]) => {
            counter.reads++;
            each(...a);
          });
      if (prop === 'of')
        return (source: string) => {
          const files = method.call(t, source) as ReadonlyMap<string, number>;
          counter.reads += files.size;
          return files;
        };
      return method.bind(t);
    },
  });
  return counter;
}

test('offline passes read no arrival of the queue, and the arrivals stay exactly the files waiting in transit', async () => {
  const rig = await startPassRig();
  const relay = new Relay(Number(new URL(rig.settings.dropboxEndpoint).port));
  const history = await History.open(path.join(rig.root, 'arrivals-history.jsonl'), 1000);
  try {
    await relay.open();
    const settings = { ...rig.settings, dropboxEndpoint: `http://127.0.0.1:${relay.port}` };
    let offsetMs = 0;
    const clock = {
      now: () => Date.now() + offsetMs,
      monotonic: () => performance.now() + offsetMs,
      sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 5))),
    };
    const deps = passDepsFor(settings, rig.emulator, rig.refreshToken, {
      journal: rig.journal,
      history,
      clock,
      emit: () => undefined,
    });
    const memory = newPassMemory();
    const counter = countingArrivals(memory);
    /** When each file in transit arrived, as the test saw it staged (a range: before, after). */
    const arrivedWithin = new Map<string, [number, number]>();
    const pass = async (dropped: string[] = []) => {
      counter.reads = 0;
      const before = clock.now();
      const report = await runPass(deps, memory, new AbortController().signal);
      for (const rel of dropped) arrivedWithin.set(rel, [before, clock.now()]);
      return { report, reads: counter.reads };
    };
    /** The arrivals are those of the files in transit, each staged when the test saw it staged. */
    const assertArrivalsAreTheQueue = (when: string) => {
      assert.equal(memory.arrivedMs.size, arrivedWithin.size, `${when}: arrivals kept`);
      for (const [rel, [from, to]] of arrivedWithin) {
        const at = memory.arrivedMs.get(rel);
        assert.ok(at !== undefined && at >= from && at <= to, `${when}: ${rel} arrived ${at}`);
      }
    };

    await relay.close(); // the hub's link goes down
    const queued: string[] = [];
    for (let i = 0; i < QUEUED; i++) {
      const rel = `RDL/USB0/2026-01/f${String(i).padStart(2, '0')}.txt`;
      await rig.drop(rel, `t,v\n${i}\n`);
      queued.push(rel);
    }
    const first = await pass(queued);
    assert.equal(first.report.uploadBlocked?.code, 'offline');
    assert.equal(first.report.archived, QUEUED);
    assertArrivalsAreTheQueue('first pass');

    // Many passes of the outage: the arrivals are not read, and stay as they were.
    for (let i = 0; i < 6; i++) {
      offsetMs += 60_000;
      const p = await pass();
      assert.equal(p.report.uploadBlocked?.code, 'offline');
      assert.equal(p.reads, 0, `offline pass ${i} read ${p.reads} of ${QUEUED} arrivals`);
      assertArrivalsAreTheQueue(`offline pass ${i}`);
    }

    // A file arriving mid-outage is an arrival from the pass that stages it.
    const camera = 'cameras/reolink1/2026-01-05/2026-01-05_10_15.jpg';
    await rig.drop(camera, 'jpeg bytes');
    const arrival = await pass([camera]);
    assert.equal(arrival.report.staged, 1);
    assert.equal(arrival.reads, 0, `the pass with an arrival read ${arrival.reads} arrivals`);
    assertArrivalsAreTheQueue('a file arrived');

    // A person takes two files out of transit: the complete walk that still comes forgets them.
    for (const rel of queued.slice(0, 2)) {
      await fs.rm(path.join(rig.transitDir, ...rel.split('/')));
      arrivedWithin.delete(rel);
    }
    offsetMs += FULL_WALK_EVERY_MS;
    const full = await pass();
    assert.equal(full.report.remainingInTransit, QUEUED - 1);
    assertArrivalsAreTheQueue('after the complete walk');
    offsetMs += 60_000;
    assert.equal((await pass()).reads, 0, 'offline again after the complete walk');
    assertArrivalsAreTheQueue('the pass after the complete walk');

    // Dropbox is back: the queue drains, and its arrivals go with it (the history has them now).
    await relay.open();
    offsetMs += 60_000;
    const back = await pass();
    assert.equal(back.report.done, QUEUED - 1);
    assert.equal(back.report.remainingInTransit, 0);
    arrivedWithin.clear();
    assertArrivalsAreTheQueue('the queue drained');
  } finally {
    await relay.close();
    await history.close();
    await rig.close();
  }
});
