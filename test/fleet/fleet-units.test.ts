// The fleet's pure parts: where heartbeats go, the hourly histogram from the history, the
// backlog memory, clone detection from remembered instances, and reading a damaged heartbeat.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  fleetFolderFor,
  fleetFolderProblem,
  heartbeatPath,
  hourlyActivity,
  parseHeartbeat,
  HOUR_MS,
} from '../../src/engine/fleet/index.js';
import { BacklogRecorder } from '../../src/engine/fleet/activity.js';
import { SeenInstances } from '../../src/engine/fleet/seen-instances.js';
import { buildHeartbeat, type Heartbeat } from '../../src/engine/fleet/heartbeat.js';
import { buildFleetView } from '../../src/engine/fleet/fleet-view.js';
import { formatFleet } from '../../src/cli/fleet.js';
import type { HistoryRecord } from '../../src/engine/status/types.js';
import { statusFixture } from '../main/status-fixture.js';

test('the fleet folder sits beside the site folders, never inside one', () => {
  assert.equal(fleetFolderFor('/RDL/{site}', ''), '/RDL/_fleet');
  assert.equal(fleetFolderFor('/Professional/WIRED/{site}', ''), '/Professional/WIRED/_fleet');
  assert.equal(fleetFolderFor('/Data/{site}/{year}', ''), '/Data/_fleet');
  assert.equal(fleetFolderFor('/Data/by-{host}/{site}', ''), '/Data/_fleet');
  // No per-site field: the data folder is the whole path, the fleet folder goes beside it.
  assert.equal(fleetFolderFor('/Lab/loggers', ''), '/Lab/_fleet');
  assert.equal(fleetFolderFor('/RDL/{site}', ' /Ops/fleet/ '), '/Ops/fleet');
  assert.equal(fleetFolderProblem('/RDL/_fleet', '/RDL/North'), null);
  assert.match(
    fleetFolderProblem('/RDL/North/fleet', '/RDL/North') ?? '',
    /inside the data folder \/RDL\/North/,
  );
  assert.match(fleetFolderProblem('/rdl/north', '/RDL/North') ?? '', /inside/);
  assert.equal(heartbeatPath('/RDL/_fleet', 'Site3_Lakeshore'), '/RDL/_fleet/Site3_Lakeshore.json');
  assert.throws(() => heartbeatPath('/RDL/_fleet', ''), /site name/);
});

function rec(
  finishedAtMs: number,
  size: number,
  outcome: HistoryRecord['outcome'] = 'done',
): HistoryRecord {
  return {
    id: finishedAtMs,
    rel: `f${finishedAtMs}.csv`,
    size,
    contentHash: null,
    startedAtMs: finishedAtMs,
    finishedAtMs,
    outcome,
    upload: { status: 'skipped', atMs: finishedAtMs, reason: '' },
    archive: { status: 'skipped', atMs: finishedAtMs, reason: '' },
  };
}

test('hourly activity: files and bytes per hour over 24 hours, only finished files', () => {
  const now = Date.UTC(2026, 11, 1, 20, 30);
  const thisHour = Date.UTC(2026, 11, 1, 20);
  const a = hourlyActivity(
    [
      rec(thisHour + 60_000, 100),
      rec(thisHour + 120_000, 50),
      rec(thisHour - HOUR_MS + 5, 7), // the hour before
      rec(thisHour - 23 * HOUR_MS, 1), // the oldest hour shown
      rec(thisHour - 24 * HOUR_MS, 1_000), // too old
      rec(thisHour + 2 * HOUR_MS, 1_000), // from the future (clock stepped back)
      rec(thisHour + 10, 999, 'failed'),
      rec(thisHour + 11, 999, 'archive-removed'),
    ],
    now,
    new Map([[thisHour, 4]]),
  );
  assert.equal(a.hours.length, 24);
  assert.equal(a.hours[23]!.startMs, thisHour);
  assert.equal(a.hours[0]!.startMs, thisHour - 23 * HOUR_MS);
  assert.deepEqual(a.hours[23], { startMs: thisHour, files: 2, bytes: 150, backlog: 4 });
  assert.deepEqual(a.hours[22], { startMs: thisHour - HOUR_MS, files: 1, bytes: 7, backlog: null });
  assert.equal(a.hours[0]!.files, 1);
  assert.equal(
    a.hours.reduce((s, h) => s + h.files, 0),
    4,
  );
});

test('the backlog memory keeps each hour’s peak for 24 hours and survives a damaged file', () => {
  const b = new BacklogRecorder();
  const h0 = Date.UTC(2026, 11, 1, 0);
  b.record(h0 + 1, 3);
  b.record(h0 + 2, 9);
  b.record(h0 + 3, 1);
  b.record(h0 + HOUR_MS, 2);
  assert.deepEqual(b.toJSON(), [
    [h0, 9],
    [h0 + HOUR_MS, 2],
  ]);
  const again = new BacklogRecorder();
  again.load(JSON.parse(JSON.stringify(b.toJSON())), h0 + HOUR_MS);
  assert.deepEqual(again.toJSON(), b.toJSON());
  again.record(h0 + 24 * HOUR_MS, 0); // 24 hours on, the first hour is out of the window
  assert.deepEqual(again.toJSON(), [
    [h0 + HOUR_MS, 2],
    [h0 + 24 * HOUR_MS, 0],
  ]);
  const damaged = new BacklogRecorder();
  damaged.load({ not: 'a list' }, h0);
  damaged.load([[h0, 'x'], 'y', [h0, -1], [h0, 5]], h0);
  assert.deepEqual(damaged.toJSON(), [[h0, 5]]);
});

function heartbeat(
  instanceId: string,
  startedAtMs: number,
  writtenAtMs: number,
  host: string,
): Heartbeat {
  return buildHeartbeat({
    appVersion: '0.1.0',
    site: 'S',
    host,
    instanceId,
    startedAtMs,
    nowMs: writtenAtMs,
    intervalMs: 60_000,
    status: statusFixture(),
    activity: { nowMs: writtenAtMs, hours: [] },
    lastError: null,
  });
}

test('remembered instances: overlapping lifetimes are two hubs, a restart is not', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-fleet-seen-'));
  try {
    const file = path.join(dir, 'fleet-seen.json');
    const t = 1_000_000;
    const seen = await SeenInstances.open(file);
    // A restart: the new instance starts after the old one's last heartbeat.
    seen.note('North', heartbeat('old', t, t + 10_000, 'n'));
    seen.note('North', heartbeat('new', t + 20_000, t + 30_000, 'n'));
    assert.equal(seen.clonesOf('North', t + 30_000, 180_000), null);
    // Two hubs at once: the second started before the first's last heartbeat.
    seen.note('South', heartbeat('a', t, t + 50_000, 'hub-a'));
    seen.note('south', heartbeat('b', t + 5_000, t + 40_000, 'hub-b'));
    assert.deepEqual(
      seen.clonesOf('South', t + 50_000, 180_000)?.map((i) => i.host),
      ['hub-a', 'hub-b'],
    );
    // Remembered across reads (the CLI is a new process each time)...
    await seen.save(t + 50_000);
    const reopened = await SeenInstances.open(file);
    assert.equal(reopened.clonesOf('SOUTH', t + 50_000, 180_000)?.length, 2);
    // ...and only while both were heard from recently.
    assert.equal(reopened.clonesOf('South', t + 50_000 + 200_000, 180_000), null);
    await fs.writeFile(file, '{broken');
    assert.equal((await SeenInstances.open(file)).clonesOf('South', t, 1e9), null);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a heartbeat that is not one names what is wrong', () => {
  const good = heartbeat('i', 1, 2, 'h');
  assert.ok(parseHeartbeat(JSON.stringify(good)).ok);
  const bad = parseHeartbeat('{"schemaVersion":1}');
  assert.ok(!bad.ok && /not a heartbeat: appVersion/.test(bad.reason), JSON.stringify(bad));
  const notJson = parseHeartbeat('hello');
  assert.ok(!notJson.ok && /^not JSON/.test(notJson.reason));
  const huge = parseHeartbeat('x'.repeat(300 * 1024));
  assert.ok(!huge.ok && /larger than/.test(huge.reason));
  // A newer writer's extra fields do not stop an older reader.
  const newer = parseHeartbeat(JSON.stringify({ ...good, schemaVersion: 2, newField: [1] }));
  assert.ok(newer.ok && newer.heartbeat.site === 'S');
});

// What the office reads about a site gone silent, one paused, and one written by a newer version:
// the real heartbeat builder and view builder, the CLI's formatter. A site silent for days showed
// its last day's activity as today's and its last numbers as if current, with no advice.
test('the fleet text: a stale site says since when and what to check, its last 24 h are now’s; paused and newer-format sites are said', () => {
  const now = Date.UTC(2026, 11, 5, 10, 44);
  const hourOf = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
  const beat = (site: string, writtenAtMs: number, status = statusFixture()): Heartbeat =>
    buildHeartbeat({
      appVersion: '0.1.0',
      site,
      host: `hub-${site}`,
      instanceId: site,
      startedAtMs: writtenAtMs - 3_600_000,
      nowMs: writtenAtMs,
      intervalMs: 60_000,
      status,
      activity: {
        nowMs: writtenAtMs,
        hours: Array.from({ length: 24 }, (_, i) => ({
          startMs: hourOf(writtenAtMs) - (23 - i) * HOUR_MS,
          files: 2,
          bytes: 100,
          backlog: 0,
        })),
      },
      lastError: null,
    });
  const old = beat('Old', now - 3 * 86_400_000);
  const paused = beat(
    'Paused',
    now - 30_000,
    statusFixture({ state: 'paused', sentence: 'Paused until 2026-12-05 11:00 UTC.' }),
  );
  const newer = { ...beat('Newer', now - 30_000), schemaVersion: 2 };
  const view = buildFleetView({
    folder: '/Professional/WIRED/_fleet',
    nowMs: now,
    folderMissing: false,
    files: [old, paused, newer].map((hb) => ({
      name: `${hb.site}.json`,
      path: `/Professional/WIRED/_fleet/${hb.site}.json`,
      bytes: Buffer.from(JSON.stringify(hb)),
      problem: null,
    })),
    clonesOf: () => null,
  });
  const text = formatFleet(view, false).join('\n');
  assert.match(text, /^Old\s+STALE\s+3 days ago .*·{24} 0 files$/m, text);
  assert.match(
    text,
    /^ {2}- not heard from since 2026-12-02 10:44 UTC \(3 days\): its backlog, disk and problems are as of then\. Check that the hub is powered and online; on it, systemctl status rdl-sync$/m,
  );
  assert.match(text, /^Paused\s+paused\s+30 s ago .* 48 files$/m);
  assert.match(text, /^ {2}- Paused until someone resumes it \(rdl-sync resume/m);
  assert.equal(view.sites.find((s) => s.site === 'Newer')?.newerFormat, true);
  assert.match(text, /^ {2}- written by a newer RDL Sync \(heartbeat format 2, version 0\.1\.0\)/m);
  assert.equal(text.match(/not heard from/g)?.length, 1, 'only the stale site');
});
