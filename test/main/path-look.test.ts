// The main process's look at a folder it is asked to open (or to start a folder dialog in), on a
// real FAT32 card whose driver is stopped: it says the card does not answer within its deadline,
// this process going on. A synchronous look held the tray and the window until the card came
// back; a plain call past its deadline kept a thread, and a few clicks took the pool's threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { lookAtPath } from '../../src/main/path-look.js';
import { archiveCallsOut, archiveSilentMs } from '../../src/engine/archive/card-answers.js';
import { cardsUnavailable, mountedCard } from '../archive/helpers.js';

const unavailable = cardsUnavailable();

test('looks at a card that stopped answering: no-answer within the deadline, one thread at most, the process going on', async (t) => {
  if (unavailable) return t.skip(unavailable);
  const m = await mountedCard('fat32', 40);
  const archiveRoot = m.dir;
  try {
    assert.equal(await lookAtPath(m.dir, { archiveRoot }), 'there');
    assert.equal(await lookAtPath(path.join(m.dir, 'absent'), { archiveRoot }), 'missing');
    // Were this process held, only another process could thaw the card.
    const rescue = m.card.armThawFromOutside(20_000);
    rescue.freeze();
    const started = Date.now();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 50);
    const first = await lookAtPath(path.join(m.dir, 'RDL'), { archiveRoot, deadlineMs: 1_500 });
    clearInterval(ticker);
    assert.equal(first, 'no-answer');
    assert.ok(Date.now() - started >= 1_400, 'given its deadline');
    assert.ok(ticks >= 5, `the event loop ran meanwhile (${ticks} ticks)`);
    // The look still out keeps its place at the archive's gate (a quit counts it) and is silent.
    assert.equal(archiveCallsOut(), 1);
    assert.ok(archiveSilentMs(m.dir) >= 1_400);
    // More clicks make no call: answered at once, no further thread taken.
    const again = Date.now();
    for (const p of [m.dir, path.join(m.dir, 'RDL', 'USB0')])
      assert.equal(await lookAtPath(p, { archiveRoot, deadlineMs: 1_000 }), 'no-answer');
    assert.ok(Date.now() - again < 1_000, 'refused without waiting for the deadline');
    assert.equal(archiveCallsOut(), 1);
    // A folder elsewhere is looked at as usual.
    assert.equal(await lookAtPath(path.dirname(m.base), { archiveRoot }), 'there');
    assert.equal(rescue.stop(), false, 'this process went on while the card was stopped');

    m.card.thaw();
    for (let i = 0; i < 100 && archiveCallsOut() > 0; i++)
      await new Promise((r) => setTimeout(r, 50));
    assert.equal(archiveCallsOut(), 0, 'the look returned once the card answered');
    assert.equal(await lookAtPath(m.dir, { archiveRoot }), 'there');
  } finally {
    m.card.thaw();
    await m.done();
  }
});
