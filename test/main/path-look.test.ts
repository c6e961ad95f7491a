// The main process's look at a folder it is asked to open (or to start a folder dialog in): on a
// real FAT32 card whose driver is stopped, it says the card does not answer within its deadline,
// and this process goes on. A synchronous look held the tray and the window until the card
// came back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { lookAtPath } from '../../src/main/path-look.js';
import { cardsUnavailable, mountedCard } from '../archive/helpers.js';

const unavailable = cardsUnavailable();

test('a folder on a card that stopped answering reads no-answer within the deadline, the process going on', async (t) => {
  if (unavailable) return t.skip(unavailable);
  const m = await mountedCard('fat32', 40);
  try {
    assert.equal(await lookAtPath(m.dir), 'there');
    assert.equal(await lookAtPath(path.join(m.dir, 'absent')), 'missing');
    // Were this process held, only another process could thaw the card.
    const rescue = m.card.armThawFromOutside(20_000);
    rescue.freeze();
    const started = Date.now();
    let ticks = 0;
    const ticker = setInterval(() => ticks++, 50);
    const look = await lookAtPath(path.join(m.dir, 'RDL'), 1_000);
    clearInterval(ticker);
    assert.equal(look, 'no-answer');
    const took = Date.now() - started;
    assert.ok(took >= 900 && took < 10_000, `answered after ${took} ms`);
    assert.ok(ticks >= 5, `the event loop ran meanwhile (${ticks} ticks)`);
    assert.equal(rescue.stop(), false, 'this process went on while the card was stopped');
  } finally {
    m.card.thaw();
    await m.done();
  }
});
