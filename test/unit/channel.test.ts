// The queue between the pass and a leg (src/engine/channel.ts): items come as they are pushed,
// in groups when several wait, and a consumer that stops lets the producer go on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Channel, asSource, sourceOf } from '../../src/engine/channel.js';
import { forEachLimit } from '../../src/engine/pool.js';

test('take waits for the first item, then takes up to max of those already there', async () => {
  const c = new Channel<number>();
  const first = c.take(10);
  let got: number[] | undefined;
  void first.then((g) => (got = g));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(got, undefined, 'nothing there yet: it waits');
  c.push(1);
  assert.deepEqual(await first, [1]);
  for (const n of [2, 3, 4, 5]) c.push(n);
  assert.equal(c.buffered, 4);
  assert.deepEqual(await c.take(3), [2, 3, 4]);
  assert.equal(c.complete, false);
  c.end();
  assert.equal(c.complete, true);
  assert.equal(c.ended, false, 'one item still to take');
  assert.deepEqual(await c.take(3), [5]);
  assert.equal(c.ended, true);
  assert.deepEqual(await c.take(3), [], 'the end');
  assert.throws(() => c.push(6), /after end/);
});

test('a wait ends with [] when its signal aborts; the items stay for the next take', async () => {
  const c = new Channel<string>();
  const stop = new AbortController();
  const waiting = c.take(1, stop.signal);
  stop.abort();
  assert.deepEqual(await waiting, []);
  c.push('a');
  assert.deepEqual(await c.take(1, stop.signal), [], 'an aborted signal takes nothing');
  assert.deepEqual(await c.take(1), ['a']);
});

test('abandon lets go of what is there and drops what comes later; a waiting taker sees the end', async () => {
  const c = new Channel<number>();
  const waiting = c.take(1);
  c.abandon();
  assert.deepEqual(await waiting, []);
  c.push(1); // the producer goes on: dropped, not thrown
  assert.equal(c.buffered, 0);
  assert.equal(c.ended, true);
});

test('many items pushed and taken one by one keep their order (the taken part is let go in bulk)', async () => {
  const c = new Channel<number>();
  const n = 5000;
  for (let i = 0; i < n; i++) c.push(i);
  c.end();
  const out: number[] = [];
  for await (const i of c) out.push(i);
  assert.equal(out.length, n);
  assert.ok(out.every((v, i) => v === i));
});

test('sourceOf and asSource give a list as an ended source; forEachLimit keeps to its limit', async () => {
  assert.equal(sourceOf([]).ended, true);
  const list = [1, 2, 3, 4, 5, 6, 7];
  const s = asSource(list);
  assert.equal(s.complete, true);
  assert.equal(s.buffered, list.length);
  let running = 0;
  let most = 0;
  const seen: number[] = [];
  await forEachLimit(s, 3, async (i) => {
    running++;
    most = Math.max(most, running);
    await new Promise((resolve) => setTimeout(resolve, 2));
    seen.push(i);
    running--;
  });
  assert.equal(most, 3);
  assert.deepEqual(
    seen.sort((a, b) => a - b),
    list,
  );
});

test('two takers waiting on one channel: each item goes to exactly one of them', async () => {
  const c = new Channel<number>();
  const a = c.take(5);
  const b = c.take(5);
  c.push(1);
  c.push(2);
  await new Promise((resolve) => setImmediate(resolve));
  c.end();
  const got = [...(await a), ...(await b)].sort();
  assert.deepEqual(got, [1, 2]);
});
