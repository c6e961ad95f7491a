// The fleet end to end: real engines write heartbeats through the real SDK to the emulator, and
// the real `rdl-sync fleet` process, on a viewing machine that syncs nothing, shows every site;
// a stopped hub turns stale, a restarted one is not mistaken for a clone, and two hubs sharing a
// site name are flagged. Heartbeats are 1.5 s apart here (an engine option), so "stale" (three
// intervals) arrives in seconds; every wait has a deadline, nothing asserts on timing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createServer } from 'node:net';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { FileCredentialStore } from '../../src/engine/credentials/index.js';
import type { FleetView } from '../../src/engine/fleet/index.js';
import { parseHeartbeat } from '../../src/engine/fleet/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli, waitFor } from '../cli/cli-harness.js';

const BEAT_MS = 1_500;
let emulator: Emulator;
const roots: string[] = [];
const engines: Engine[] = [];

before(async () => {
  emulator = await startEmulator({});
});

after(async () => {
  for (const e of engines) await e.stop().catch(() => undefined);
  await emulator.close();
  for (const r of roots) await fs.rm(r, { recursive: true, force: true });
});

interface Hub {
  engine: Engine;
  watchDir: string;
  configDir: string;
  root: string;
}

async function startHub(site: string, host: string): Promise<Hub> {
  const dirs = await makeDirs('rdl-fleet-hub-');
  roots.push(dirs.root);
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site }), emulator);
  const engine = await createEngine({
    configDir: dirs.configDir,
    home: dirs.root,
    hostName: host,
    fleetHeartbeatMs: BEAT_MS,
    retry: { baseMs: 10, capMs: 50, maxAttempts: 3 },
  });
  engines.push(engine);
  await engine.start();
  return { engine, ...dirs };
}

/** A machine that syncs nothing: only the app key, the endpoint and a connection; no folders. */
async function viewer(): Promise<{ configDir: string; home: string }> {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-fleet-viewer-'));
  roots.push(home);
  const configDir = path.join(home, 'config');
  await fs.mkdir(configDir, { recursive: true });
  await fs.writeFile(
    path.join(configDir, 'config.json'),
    JSON.stringify({ dropboxAppKey: emulator.appKey, dropboxEndpoint: emulator.url }),
  );
  await new FileCredentialStore(configDir).save({
    appKey: emulator.appKey,
    refreshToken: emulator.issueRefreshToken(),
  });
  return { configDir, home };
}

async function fleetJson(v: { configDir: string; home: string }): Promise<FleetView> {
  const r = await runCli(['fleet', '--json', '--config-dir', v.configDir], { home: v.home });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return JSON.parse(r.stdout) as FleetView;
}

async function fleetText(v: { configDir: string; home: string }): Promise<string> {
  const r = await runCli(['fleet', '--config-dir', v.configDir], { home: v.home });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stdout;
}

/** The table row of `site` in the CLI's text output. */
function row(text: string, site: string): string {
  const line = text.split('\n').find((l) => l.startsWith(`${site} `));
  assert.ok(line, `no row for ${site} in:\n${text}`);
  return line;
}

test('two hubs, one viewer: both shown, a stopped hub turns stale, a restart is no clone', async () => {
  const north = await startHub('North', 'hub-north');
  const south = await startHub('South', 'hub-south');
  const v = await viewer();
  // The viewer has no watch folder, no site: it syncs nothing.
  await assert.rejects(fs.access(path.join(v.home, 'rdl')));

  // A file synced by North shows in its heartbeat's 24-hour histogram.
  await fs.mkdir(path.join(north.watchDir, 'RDL', 'USB0'), { recursive: true });
  await fs.writeFile(path.join(north.watchDir, 'RDL', 'USB0', 'a.csv'), 'x,1\n'.repeat(100));
  const first = await waitFor(
    'both heartbeats, North with its synced file',
    async () => {
      const view = await fleetJson(v);
      const n = view.sites.find((s) => s.site === 'North');
      const s = view.sites.find((x) => x.site === 'South');
      const nFiles = n?.heartbeat.hours.reduce((a, h) => a + h.files, 0) ?? 0;
      return n && s && nFiles === 1 ? view : undefined;
    },
    30_000,
  );
  assert.equal(first.folder, '/RDL/_fleet');
  assert.deepEqual(
    first.sites.map((s) => [s.site, s.stale, s.heartbeat.host, s.clones]),
    [
      ['North', false, 'hub-north', null],
      ['South', false, 'hub-south', null],
    ],
  );
  const n = first.sites[0]!.heartbeat;
  assert.equal(n.schemaVersion, 1);
  assert.equal(n.hours.length, 24);
  assert.equal(n.hours.at(-1)!.files, 1, 'the file counts in the current hour');
  assert.equal(n.hours.at(-1)!.bytes, 400);
  assert.equal(n.intervalMs, BEAT_MS);
  assert.ok(
    n.sources.some((src) => src.source === 'RDL/USB0' && src.lastFileRel.endsWith('a.csv')),
  );
  assert.match(n.appVersion, /^\d+\.\d+\.\d+/);
  // Beside the site folders, a .json, never inside a data folder or a .txt.
  const stored = emulator.listFiles().map((f) => f.pathDisplay);
  assert.ok(stored.includes('/RDL/_fleet/North.json'), stored.join(', '));
  assert.ok(stored.includes('/RDL/_fleet/South.json'));
  assert.ok(!stored.some((p) => /^\/RDL\/(North|South)\/.*\.json$/.test(p)));
  const onDropbox = parseHeartbeat(await emulator.readFile('/RDL/_fleet/North.json'));
  assert.ok(onDropbox.ok && onDropbox.heartbeat.site === 'North');

  const text = await fleetText(v);
  assert.match(text, /^Fleet folder \/RDL\/_fleet/);
  assert.match(row(text, 'North'), /^North\s+idle\s+\d+ s ago\s+0\s+\d+ % used/);
  assert.match(row(text, 'North'), /1 files$/);
  assert.doesNotMatch(text, /STALE/);

  // North stops: within three of its intervals it is stale; South keeps beating.
  const northInstance = n.instanceId;
  await north.engine.stop();
  const staleText = await waitFor(
    'North shown stale',
    async () => {
      const t = await fleetText(v);
      return /STALE/.test(row(t, 'North')) ? t : undefined;
    },
    30_000,
  );
  assert.match(row(staleText, 'North'), /^North\s+STALE\s+\d+ s ago \(stale after 5 s\)/);
  assert.doesNotMatch(row(staleText, 'South'), /STALE/);

  // North restarts (a new instance): fresh again and not flagged as two hubs.
  const again = await createEngine({
    configDir: north.configDir,
    home: north.root,
    hostName: 'hub-north',
    fleetHeartbeatMs: BEAT_MS,
  });
  engines.push(again);
  await again.start();
  const back = await waitFor(
    'North fresh again',
    async () => {
      const view = await fleetJson(v);
      const s = view.sites.find((x) => x.site === 'North');
      return s && !s.stale && s.heartbeat.instanceId !== northInstance ? s : undefined;
    },
    30_000,
  );
  assert.equal(back.clones, null, 'a restart is not a second hub');
  await again.stop();
  await south.engine.stop();
});

test('two hubs writing the same site name (a cloned image) are flagged', async () => {
  const a = await startHub('Site3_Lakeshore', 'clone-a');
  const b = await startHub('Site3_Lakeshore', 'clone-b');
  const v = await viewer();
  // Each read sees the file's last writer; the viewer remembers both and sees them overlap.
  const flagged = await waitFor(
    'the clone pair flagged',
    async () => {
      const view = await fleetJson(v);
      const s = view.sites.find((x) => x.site === 'Site3_Lakeshore');
      return s?.clones ? s : undefined;
    },
    30_000,
  );
  assert.deepEqual(flagged.clones!.map((c) => c.host).sort(), ['clone-a', 'clone-b']);
  // The hubs notice each other too (each one's update of its own revision conflicts), so a
  // viewer with no memory of earlier reads flags the pair from a single read. The viewer above
  // may flag them before either hub has met such a conflict (on a loaded machine, once in CI):
  // each try here is a new viewer, reading once.
  const once = await waitFor(
    'a viewer with no memory flagging the pair from one read',
    async () => {
      const s = (await fleetJson(await viewer())).sites.find((x) => x.site === 'Site3_Lakeshore');
      return s?.clones ? s : undefined;
    },
    30_000,
  );
  assert.equal(once.heartbeat.otherWriters.length, 1);
  assert.notEqual(once.heartbeat.otherWriters[0]!.host, once.heartbeat.host);
  const text = await fleetText(v);
  assert.match(
    text,
    /Site3_Lakeshore \(clone-[ab], version [^,]+, up [^)]+ at its last heartbeat\):\n {2}- TWO HUBS WRITE THIS SITE NAME \(a cloned SD image\?\): host clone-[ab] \(instance \w{8}\) and host clone-[ab]/,
  );

  // Each hub's own status says so too, so it is alerted: before, only the fleet and a log line
  // did, while both hubs put their files into one Dropbox folder (found by an operator trial).
  const shared = (hub: Hub) => hub.engine.getStatus().problems.find((p) => p.id === 'site-shared');
  const [hub, problem] = await waitFor(
    'a hub’s status naming the other',
    async () => {
      for (const h of [a, b]) {
        const p = shared(h);
        if (p) return [h, p] as const;
      }
      return undefined;
    },
    30_000,
  );
  assert.equal(problem.severity, 'error');
  assert.match(
    problem.message,
    /^Another hub \(clone-[ab]\) also syncs as site "Site3_Lakeshore": two hubs share the site name .*Give each hub its own site name/,
  );
  // Given its own name, the hub's problem goes at its next heartbeat.
  const saved = await hub.engine.saveSettings({
    ...hub.engine.getSettings(),
    site: 'Site3_Lakeshore_B',
  });
  assert.ok(saved.ok, JSON.stringify(saved));
  await waitFor('the problem cleared after the rename', async () => !shared(hub), 30_000);
});

test('a viewer not connected to Dropbox is told what to run', async () => {
  const home = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-fleet-none-'));
  roots.push(home);
  const r = await runCli(['fleet', '--config-dir', path.join(home, 'c')], { home });
  assert.equal(r.code, 2);
  assert.match(r.stdout, /Not connected to Dropbox: run `rdl-sync auth` first/);
});

test('a viewer offline is told the fleet was not read, not that it "will retry" (exit 1)', async () => {
  const v = await viewer();
  // Dropbox out of reach: a port nothing listens on.
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  await fs.writeFile(
    path.join(v.configDir, 'config.json'),
    JSON.stringify({ dropboxAppKey: emulator.appKey, dropboxEndpoint: `http://127.0.0.1:${port}` }),
  );
  const r = await runCli(['fleet', '--config-dir', v.configDir], { home: v.home });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.doesNotMatch(r.stderr, /will retry/);
  assert.match(
    r.stderr,
    /^rdl-sync fleet: .*\. Nothing more is tried: run the command again once that is fixed\.$/m,
  );
});
