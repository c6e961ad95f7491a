// The silent-logger check learns each source again only when its arrivals changed (perf: a long
// outage's queue, weeks of files, was copied, grouped and sorted after every pass). Its answer must
// be the one learning everything at once gives, pass after pass, however the arrivals change: files
// arriving in transit (some at the same instant, some found with an older mtime), finishing into
// the history (which trims its oldest), taken out by hand, held in the watch folder, the rules
// edited, the clock moving on, and a restart (a new engine's arrivals, rebuilt by its first walk).
// The real HubHealth and a real history file; the reference is learnSources over the whole list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { ArrivalTimes } from '../../src/engine/health/arrival-times.js';
import { HubHealth } from '../../src/engine/health/hub-health.js';
import {
  learnSources,
  silenceRulesOf,
  type Arrival,
} from '../../src/engine/health/silent-sources.js';
import { History } from '../../src/engine/history/index.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { systemClock } from '../../src/engine/ports.js';
import type { EngineEvent } from '../../src/engine/status/engine-events.js';
import type { SourceStatus } from '../../src/engine/status/types.js';
import { RecordingLogger } from '../dropbox/helpers.js';

const MINUTE = 60_000;
const SOURCES = ['RDL/USB0', 'cameras/reolink1', 'cameras/infrared1', 'internet', 'RDL/USB1'];

/** A small deterministic generator: the same sequence of passes on every run. */
function seeded(seed: number): () => number {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31;
    return s / 2 ** 31;
  };
}

test('the sources learnt pass after pass are those learnt from all the arrivals at once', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-source-learner-'));
  const settings = {
    ...defaultSettings(root),
    watchDir: path.join(root, 'watch'),
    transitDir: path.join(root, 'transit'),
    archiveDir: path.join(root, 'card'),
    silentSourceFactor: 3,
    silentSourceMinSamples: 3,
    silentSourceOverrides: [] as string[],
  };
  for (const d of [settings.watchDir, settings.transitDir, settings.archiveDir])
    await fs.mkdir(d, { recursive: true });
  // Few records kept, so the history trims its oldest as files finish.
  const history = await History.open(path.join(root, 'history.jsonl'), 60);
  try {
    let now = Date.parse('2026-11-20T00:00:00Z');
    const clock = { now: () => now, sleep: systemClock.sleep };
    let learnt: SourceStatus[] | null = null;
    const newHealth = () =>
      new HubHealth({
        report: (e: EngineEvent) => {
          if (e.type === 'sources-learnt') learnt = e.sources;
        },
        history,
        clock,
        logger: new RecordingLogger(),
        remoteLookup: async () => null,
      });
    let health = newHealth();
    let transit = new ArrivalTimes();
    // The arrivals as a plain list in the order first recorded: what the old check was given.
    let mirror = new Map<string, number>();
    const random = seeded(22);
    const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)]!;
    let n = 0;
    const arrive = (atMs: number): void => {
      const rel = `${pick(SOURCES)}/2026-11-20/f${n++}.dat`;
      transit.set(rel, atMs);
      mirror.set(rel, atMs);
    };
    const leave = (rel: string): void => {
      transit.delete(rel);
      mirror.delete(rel);
    };
    let changedPasses = 0;
    for (let pass = 0; pass < 400; pass++) {
      const what = random();
      let held: Arrival[] = [];
      if (what < 0.25) {
        arrive(now);
        if (random() < 0.3) arrive(now); // two files of one delivery, the same instant
      } else if (what < 0.3)
        arrive(now - Math.floor(random() * 300) * MINUTE); // an older mtime
      else if (what < 0.4 && mirror.size > 0) {
        // Files finish: their arrivals move to the history.
        for (const [rel, atMs] of [...mirror].slice(0, 1 + Math.floor(random() * 4))) {
          history.append({
            rel,
            size: 1,
            contentHash: null,
            startedAtMs: atMs,
            finishedAtMs: now,
            outcome: 'done',
            upload: { status: 'done' },
            archive: { status: 'done' },
          } as Parameters<History['append']>[0]);
          leave(rel);
        }
      } else if (what < 0.43 && mirror.size > 0)
        leave(pick([...mirror.keys()])); // by hand
      else if (what < 0.47) held = [{ rel: `${pick(SOURCES)}/held${pass}.dat`, atMs: now }];
      else if (what < 0.49)
        settings.silentSourceOverrides = random() < 0.5 ? [] : [`${pick(SOURCES)}=90`];
      else if (what < 0.5) {
        // A restart: a new engine, whose first walk records the files waiting in transit again.
        health = newHealth();
        const rebuilt = new ArrivalTimes();
        for (const [rel, atMs] of mirror) rebuilt.set(rel, atMs);
        transit = rebuilt;
        mirror = new Map(mirror);
      } else changedPasses--; // nothing changed: only the clock moves on
      changedPasses++;
      now += Math.floor(random() * 90) * MINUTE;

      learnt = null;
      await health.check(settings, undefined, 0, { transit, watch: held });
      const all = [
        ...history.recentArrivals(5_000),
        ...[...mirror].map(([rel, atMs]) => ({ rel, atMs })),
        ...held,
      ];
      assert.deepEqual(
        learnt,
        learnSources(all, silenceRulesOf(settings), now),
        `pass ${pass}: the sources learnt differ from those learnt from every arrival`,
      );
    }
    // The sequence did exercise both: passes with a change, and passes with none.
    assert.ok(changedPasses > 100 && changedPasses < 300, `${changedPasses} passes changed`);
    assert.ok(
      (learnt ?? []).some((s: SourceStatus) => s.silent) ||
        (learnt ?? []).some((s: SourceStatus) => s.usualIntervalMs !== null),
      'sources were learnt',
    );
  } finally {
    await history.close();
    await fs.rm(root, { recursive: true, force: true });
  }
});

test('a pass over an unchanged queue learns nothing again: no arrival of it is read', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-source-learner-'));
  const history = await History.open(path.join(root, 'history.jsonl'), 100);
  try {
    let now = Date.parse('2026-11-20T00:00:00Z');
    let learnt: SourceStatus[] = [];
    const health = new HubHealth({
      report: (e: EngineEvent) => {
        if (e.type === 'sources-learnt') learnt = e.sources;
      },
      history,
      clock: { now: () => now, sleep: systemClock.sleep },
      logger: new RecordingLogger(),
      remoteLookup: async () => null,
    });
    const settings = { ...defaultSettings(root), silentSourceFactor: 3, silentSourceMinSamples: 3 };
    // Weeks of an outage: an hourly logger's files wait in transit; a camera's stopped a day ago.
    const transit = new ArrivalTimes();
    for (let i = 0; i < 500; i++) transit.set(`RDL/USB0/2026-11/f${i}.txt`, now + i * 60 * MINUTE);
    for (let i = 0; i < 100; i++)
      transit.set(`cameras/reolink1/2026-11-20/c${i}.jpg`, now + i * 60 * MINUTE);
    now += 500 * 60 * MINUTE;
    let reads = 0;
    const counted = new Proxy(transit, {
      get(t, prop) {
        const v: unknown = Reflect.get(t, prop, t);
        if (prop === 'of')
          return (source: string) => {
            const files = t.of(source);
            reads += files.size;
            return files;
          };
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      },
    });
    const queued = { transit: counted, watch: [] };
    await health.check(settings, undefined, 0, queued);
    assert.equal(reads, 600, 'the first look learns every source');
    const camera = () => learnt.find((s) => s.source === 'cameras/reolink1');
    assert.equal(camera()?.silent, true);
    for (let pass = 0; pass < 5; pass++) {
      reads = 0;
      now += 10_000;
      await health.check(settings, undefined, 0, queued);
      assert.equal(reads, 0, `pass ${pass} read ${reads} arrivals of an unchanged queue`);
    }
    // The camera delivers again: only its own arrivals are read, and it is no longer silent.
    transit.set('cameras/reolink1/2026-11-21/c100.jpg', now);
    reads = 0;
    await health.check(settings, undefined, 0, queued);
    assert.equal(reads, 101);
    assert.equal(camera()?.silent, false);
    assert.equal(camera()?.lastFileRel, 'cameras/reolink1/2026-11-21/c100.jpg');
    // It stops again: silent once three of its usual hours have passed, learnt nothing again.
    reads = 0;
    now += 3 * 60 * MINUTE + 1;
    await health.check(settings, undefined, 0, queued);
    assert.equal(reads, 0);
    assert.equal(camera()?.silent, true);
  } finally {
    await history.close();
    await fs.rm(root, { recursive: true, force: true });
  }
});
