// A pass held up by one leg looks at the watch folder again at each tick of its schedule and hands
// the new files to the legs that are free (pipeline/pass.ts, restageWhileLegsWork); the busy leg
// gets them at its next pass. Here the card is the slow leg (held by a gate on one file) and
// Dropbox the free one; the engine test (test/engine/restage-while-uploading) has the reverse.
// Real parts (pass-rig.ts): real folders, the emulator through the real SDK, the real card leg.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { mapSource, type Source } from '../../src/engine/channel.js';
import type { DestinationLeg, PlaceItem } from '../../src/engine/legs/leg.js';
import type { LegId } from '../../src/engine/legs/ids.js';
import { PassTicks } from '../../src/engine/pipeline/pass-ticks.js';
import type { PassEvent } from '../../src/engine/pipeline/events.js';
import { withRig, type PassRig } from './pass-rig.js';

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The leg, with the files it takes held until `gate` opens whenever they include `rel`. */
function heldOn(leg: DestinationLeg, rel: string, gate: Promise<void>): DestinationLeg {
  const hold = (items: Source<PlaceItem>): Source<PlaceItem> => {
    const held = mapSource(items, (item) => item);
    const take = held.take.bind(held);
    // (Its iterator takes through `this.take`: held there too.)
    held.take = async (max, signal) => {
      const got = await take(max, signal);
      if (got.some((i) => i.rel === rel)) await gate;
      return got;
    };
    return held;
  };
  return {
    id: leg.id,
    label: leg.label,
    check: () => leg.check(),
    place: (items, sink) => leg.place(hold(items as Source<PlaceItem>), sink),
  };
}

const doneOn = (events: PassEvent[], leg: string, rel: string) =>
  events.some((e) => e.type === 'leg-done' && e.leg === leg && e.rel === rel);

/** A ticked pass with `leg`'s files held (while they include `rel`) until `open()` is called. */
function passHolding(r: PassRig, leg: LegId, rel: string) {
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => (open = resolve));
  r.deps.legs = r.deps.legs.map((l) => (l.id === leg ? heldOn(l, rel, gate) : l));
  const ticks = new PassTicks();
  return { open: () => open(), ticks, passing: r.pass(ticks) };
}

test('while the card copies one file, files staged at later ticks go to Dropbox, and to the card at the next pass', async () => {
  await withRig(async (r) => {
    await r.drop('USB0/a.csv', 't,v\n1,1\n');
    const { open, ticks, passing } = passHolding(r, 'archive', 'USB0/a.csv');

    await until('a.csv on Dropbox', () => doneOn(r.events, 'upload', 'USB0/a.csv'));
    await r.drop('USB0/b.csv', 't,v\n2,2\n');
    ticks.tick();
    await until('b.csv on Dropbox', () => doneOn(r.events, 'upload', 'USB0/b.csv'));
    await r.drop('USB0/c.csv', 't,v\n3,3\n');
    ticks.tick();
    await until('c.csv on Dropbox', () => doneOn(r.events, 'upload', 'USB0/c.csv'));
    assert.deepEqual(await fs.readdir(r.watchDir, { recursive: true }), ['USB0'], 'all staged');
    assert.ok(
      !r.events.some((e) => e.type === 'leg-done' && e.leg === 'archive'),
      'the card is still on a.csv and was handed nothing else',
    );

    open();
    const { report } = await passing;
    assert.equal(report.staged, 3, 'the ticks staged b.csv and c.csv in the same pass');
    assert.equal(report.uploaded, 3);
    assert.equal(report.archived, 1, 'the busy card took only the file it had');
    assert.equal(report.done, 1);
    assert.equal(report.remainingInTransit, 2, 'b.csv and c.csv wait in transit for the card');

    // The next pass (no ticks) gives them to the card; nothing goes to Dropbox twice.
    const appendsBefore = r.emulator.stats()['files/upload_session/append_batch'] ?? 0;
    const next = await r.pass();
    assert.equal(next.report.archived, 2);
    assert.equal(next.report.uploaded, 0, 'Dropbox had them already');
    assert.equal(next.report.remainingInTransit, 0);
    assert.equal(r.emulator.stats()['files/upload_session/append_batch'] ?? 0, appendsBefore);
    for (const n of ['a', 'b', 'c'])
      assert.ok((await fs.stat(path.join(r.archiveDir, 'USB0', `${n}.csv`))).isFile());
  });
});

// (A pass that waited for the tick would hang: the timeout fails it instead.)
test(
  'a pass whose legs are all done ends without waiting for a tick',
  { timeout: 60_000 },
  async () => {
    await withRig(async (r) => {
      await r.drop('USB0/a.csv', 't,v\n1,1\n');
      const ticks = new PassTicks(); // never ticked: a pass that waited for it would hang
      const { report } = await r.pass(ticks);
      assert.equal(report.done, 1);
    });
  },
);

test("files staged at a tick reach the free card while the busy leg's files fill the pass's window", async () => {
  await withRig(async (r) => {
    // A window of 2 (2,000 by default: a backlog after an outage on a slow link), both in it held
    // by Dropbox. The tick's files waited for its room, which only Dropbox's answers make: the
    // tick's staging stalled with its files moved into transit and counted nowhere, the card
    // got none of them, and the ticks after it went unheard.
    r.deps.windowSize = 2;
    await r.drop('USB0/a.csv', 't,v\n1,1\n');
    await r.drop('USB0/b.csv', 't,v\n2,2\n');
    const { open, ticks, passing } = passHolding(r, 'upload', 'USB0/a.csv');
    try {
      await until('a.csv and b.csv on the card', () =>
        ['a', 'b'].every((n) => doneOn(r.events, 'archive', `USB0/${n}.csv`)),
      );
      await r.drop('USB0/c.csv', 't,v\n3,3\n');
      await r.drop('USB0/d.csv', 't,v\n4,4\n');
      ticks.tick();
      await until('c.csv and d.csv on the card', () =>
        ['c', 'd'].every((n) => doneOn(r.events, 'archive', `USB0/${n}.csv`)),
      );
      const counts = r.events.filter((e) => e.type === 'counts').at(-1);
      assert.equal(counts?.type === 'counts' && counts.transit, 4, JSON.stringify(counts));
      // A later tick is still heard.
      await r.drop('USB0/e.csv', 't,v\n5,5\n');
      ticks.tick();
      await until('e.csv on the card', () => doneOn(r.events, 'archive', 'USB0/e.csv'));
    } finally {
      open();
    }
    const { report } = await passing;
    assert.equal(report.staged, 5);
    assert.equal(report.archived, 5);
    assert.equal(report.remainingInTransit, 3, 'c, d and e wait in transit for Dropbox');
  });
});

test('a file failing to leave the watch folder and staged at a tick is no longer named failing', async () => {
  await withRig(async (r) => {
    // Its folder immutable (chattr +i holds root too): it cannot leave the watch folder.
    const locked = await r.drop('held/locked.csv', 't,v\n1,1\n');
    const heldDir = path.dirname(locked);
    execFileSync('chattr', ['+i', heldDir]);
    try {
      await r.drop('USB0/a.csv', 't,v\n2,2\n');
      const { open, ticks, passing } = passHolding(r, 'upload', 'USB0/a.csv');
      const lastCounts = () => {
        const c = r.events.filter((e) => e.type === 'counts').at(-1);
        return c?.type === 'counts' ? c : undefined;
      };
      try {
        await until('the locked file named failing', () =>
          Boolean(lastCounts()?.failing?.rel === 'held/locked.csv'),
        );
        await until('a.csv on the card', () => doneOn(r.events, 'archive', 'USB0/a.csv'));
        // The person fixes the folder while the upload holds the pass; its back-off runs out.
        execFileSync('chattr', ['-i', heldDir]);
        r.advance(60 * 60_000);
        ticks.tick();
        await until('the locked file on the card', () =>
          doneOn(r.events, 'archive', 'held/locked.csv'),
        );
        const counts = lastCounts();
        assert.equal(counts?.failed, 0, JSON.stringify(counts));
        assert.equal(counts?.failing ?? null, null, 'no longer named failing');
      } finally {
        open();
      }
      await passing;
    } finally {
      execFileSync('chattr', ['-i', heldDir]);
    }
  });
});
