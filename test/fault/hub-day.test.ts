// A field hub's day, compressed to about a minute, end to end: the real daemon (`rdl-sync run` as
// the systemd unit starts it, INVOCATION_ID set), real writer processes behaving like each logger
// in WORKLOAD.md, the emulator behind a loopback link that can go down, the local archive on a
// small real tmpfs that fills up, a SIGKILL mid-pass followed by a restart, and a hand-edit
// mistake in config.json while the daemon runs. Then what the people downstream rely on: every
// file that finished arriving is on Dropbox (below /Professional/WIRED/<site>) and in the archive,
// byte-identical, exactly once; no extra .txt (the merge tool concatenates every .txt); the
// clock-change repeat kept as "name (1).jpg"; no infrared CSV taken short; watch and transit
// folders empty; `rdl-sync status` true at each stage; the alert command told of the full card
// and of its end.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import { Relay } from '../dropbox/tcp-relay.js';
import path from 'node:path';
import { startEmulator, dropboxContentHash, type Emulator } from '../../tools/emulator/index.js';
import { testSettings, writeConfig, listFilesRel, localHash } from '../engine/harness.js';
import { readPublishedStatus, runCli } from '../cli/cli-harness.js';
import {
  canMount,
  fill,
  fillToTheByte,
  mountTmpfs,
  unmount,
  tempDir,
  removeDir,
} from '../archive/helpers.js';
import { exitWithin, killHard, running, waitUntil } from './crash-harness.js';
import { cliCommand } from '../cli/cli-command.js';

const SITE = 'Site3_Lakeshore';
const REMOTE_ROOT = `/Professional/WIRED/${SITE}/`;
/** The infrared camera's hold, scaled down from ~60 s: many passes and stable times long. */
const INFRARED_HOLD_MS = 5_000;
const STABLE_SECONDS = 1;
const WAIT_MS = 30_000;

// ---- the loggers, each a process of its own, writing as the real one does --------------------

/**
 * RDL logger: per reading, open the day's file in 1_inprogress, append one line, close; at the
 * end of the day rename it into 2_tosync. The lines are read from `from` (the test knows them).
 */
const RDL_LOGGER = `
const fs = require('node:fs'); const path = require('node:path');
const [from, inprogress, final, everyMs] = process.argv.slice(1);
const lines = fs.readFileSync(from, 'utf8').split(/(?<=\\n)/);
fs.mkdirSync(path.dirname(inprogress), { recursive: true });
let i = 0;
const next = () => {
  if (i === lines.length) {
    fs.mkdirSync(path.dirname(final), { recursive: true });
    fs.renameSync(inprogress, final);
    return;
  }
  fs.appendFileSync(inprogress, lines[i++]);
  setTimeout(next, +everyMs);
};
next();
`;

/** A day of readings: about 200 bytes a line, as the serial logger writes them. */
function rdlDay(day: string, lines: number): Buffer {
  let s = '';
  for (let i = 0; i < lines; i++)
    s += `${day}T${String(i).padStart(5, '0')},23.4,55.1,1013.2,${'0123456789'.repeat(17)}\n`;
  return Buffer.from(s);
}

/** Network camera: the whole JPEG in place with one write. */
const CAMERA = `
const fs = require('node:fs'); const path = require('node:path');
const [from, to] = process.argv.slice(1);
fs.mkdirSync(path.dirname(to), { recursive: true });
fs.writeFileSync(to, fs.readFileSync(from));
`;

/**
 * Infrared camera: most of the CSV straight into 2_tosync, then the file kept open with size and
 * mtime unchanged for `holdMs`, or until the test creates `release` (so that the hold surely
 * spans what the test looks at, however slow the machine), then the rest, then closed.
 */
const INFRARED = `
const fs = require('node:fs'); const path = require('node:path');
const [from, to, firstBytes, holdMs, release] = process.argv.slice(1);
const body = fs.readFileSync(from);
fs.mkdirSync(path.dirname(to), { recursive: true });
const fd = fs.openSync(to, 'w');
fs.writeSync(fd, body, 0, +firstBytes);
const until = Date.now() + +holdMs;
const finish = () => {
  if (Date.now() < until && !(release && fs.existsSync(release))) return setTimeout(finish, 50);
  fs.writeSync(fd, body, +firstBytes, body.length - +firstBytes);
  fs.closeSync(fd);
};
finish();
`;

/** Deterministic bytes standing in for a JPEG or a CSV (`seed` makes two files differ). */
function bytes(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    s = (s * 1664525 + 1013904223) >>> 0;
    b[i] = s >>> 24;
  }
  return b;
}

// The hub's WiFi: test/dropbox/tcp-relay.ts, a loopback relay to the emulator taken down and
// brought back on the same port.

// ---- the hub ----------------------------------------------------------------------------------

interface Hub {
  root: string;
  shelf: string;
  inprogress: string;
  watchDir: string;
  transitDir: string;
  archiveDir: string;
  configDir: string;
  sources: string;
  heard: string;
}

class Day {
  readonly children: ChildProcess[] = [];
  /** rel below 2_tosync (or the name it must end under) -> content hash. */
  readonly expected = new Map<string, string>();
  daemon: ChildProcess | null = null;
  stderr = '';
  private n = 0;

  constructor(
    readonly hub: Hub,
    readonly emulator: Emulator,
  ) {}

  spawnWriter(script: string, args: string[]): ChildProcess {
    const child = spawn(process.execPath, ['-e', script, ...args], { stdio: 'ignore' });
    this.children.push(child);
    return child;
  }

  async finished(child: ChildProcess): Promise<void> {
    assert.ok(await exitWithin(child, WAIT_MS), 'a writer did not finish');
    assert.equal(child.exitCode, 0, 'a writer failed');
  }

  /** RDL logger, one day: lines appended in 1_inprogress, then renamed into 2_tosync. */
  async rdl(day: string, lines: number): Promise<ChildProcess> {
    const rel = `RDL/USB0/${day.slice(0, 7)}/RDL_${day}_USB0.txt`;
    const body = rdlDay(day, lines);
    const from = path.join(this.hub.sources, `rdl-${day}`);
    await fs.writeFile(from, body);
    this.expected.set(rel, dropboxContentHash(body));
    return this.spawnWriter(RDL_LOGGER, [
      from,
      path.join(this.hub.inprogress, 'RDL', 'USB0', `RDL_${day}_USB0.txt`),
      path.join(this.hub.watchDir, ...rel.split('/')),
      '20',
    ]);
  }

  private async source(size: number): Promise<{ file: string; body: Buffer }> {
    const body = bytes(size, ++this.n);
    const file = path.join(this.hub.sources, `s${this.n}`);
    await fs.writeFile(file, body);
    return { file, body };
  }

  /** A camera JPEG written in place; `expectedAs` is where it must end (a keep-both name). */
  async camera(rel: string, expectedAs = rel): Promise<ChildProcess> {
    const { file, body } = await this.source(30_000 + this.n * 97);
    this.expected.set(expectedAs, dropboxContentHash(body));
    return this.spawnWriter(CAMERA, [file, path.join(this.hub.watchDir, ...rel.split('/'))]);
  }

  /** The infrared camera's CSV: 136 of 144 kB, held open, then the rest. */
  async infrared(
    rel: string,
    hold: { ms: number; release?: string } = { ms: INFRARED_HOLD_MS },
  ): Promise<ChildProcess> {
    const { file, body } = await this.source(144_000);
    this.expected.set(rel, dropboxContentHash(body));
    return this.spawnWriter(INFRARED, [
      file,
      path.join(this.hub.watchDir, ...rel.split('/')),
      '136000',
      String(hold.ms),
      hold.release ?? '',
    ]);
  }

  startDaemon(): ChildProcess {
    const child = spawn(
      process.execPath,
      [
        // (The daemon's working directory is the hub's SHELF3, as systemd's.)
        ...cliCommand(),
        'run',
        '--config-dir',
        this.hub.configDir,
      ],
      {
        cwd: this.hub.shelf,
        // As the systemd unit runs it: INVOCATION_ID is what systemd sets for every unit.
        env: { ...process.env, HOME: this.hub.root, RDL_SYNC_QUIET: '1', INVOCATION_ID: 'hub-day' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    this.children.push(child);
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-20_000);
    });
    this.daemon = child;
    return child;
  }

  async status(): Promise<string> {
    const r = await runCli(['status', '--config-dir', this.hub.configDir], {
      home: this.hub.root,
    });
    return r.stdout + r.stderr;
  }

  /** Fails at once when the daemon has died, instead of waiting out a deadline. */
  alive(): void {
    if (this.daemon && !running(this.daemon))
      throw new Error(`the daemon exited (${this.daemon.exitCode}): ${this.stderr.slice(-2000)}`);
  }

  /** waitUntil that gives up at once when the daemon has died. */
  until(what: string, probe: () => Promise<boolean>, timeoutMs = WAIT_MS, everyMs = 200) {
    return waitUntil(
      what,
      async () => {
        this.alive();
        return probe();
      },
      timeoutMs,
      everyMs,
    );
  }

  async problems(): Promise<string[]> {
    const p = await readPublishedStatus(this.hub.configDir);
    return p?.status.problems.map((x) => x.id) ?? [];
  }

  async heard(): Promise<string[]> {
    return (await fs.readFile(this.hub.heard, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  }

  onDropbox(rel: string): string | undefined {
    return this.emulator.getFile(REMOTE_ROOT + rel)?.contentHash;
  }

  async onCard(rel: string): Promise<string | undefined> {
    return localHash(path.join(this.hub.archiveDir, ...rel.split('/'))).catch(() => undefined);
  }

  async synced(rel: string): Promise<boolean> {
    const want = this.expected.get(rel);
    return this.onDropbox(rel) === want && (await this.onCard(rel)) === want;
  }

  async allSynced(): Promise<boolean> {
    for (const rel of this.expected.keys()) if (!(await this.synced(rel))) return false;
    return true;
  }

  async queueEmpty(): Promise<boolean> {
    const [w, t] = await Promise.all([
      listFilesRel(this.hub.watchDir),
      listFilesRel(this.hub.transitDir),
    ]);
    return w.length === 0 && t.length === 0;
  }

  /**
   * Dropbox (below the site's folder) and the archive hold exactly the files written, each with
   * its bytes, once; no .txt anywhere else on Dropbox; the watch and transit folders are empty.
   */
  async audit(): Promise<void> {
    const all = this.emulator.listFiles().map((f) => f.pathDisplay);
    const remote = all
      .filter((p) => p.startsWith(REMOTE_ROOT))
      .map((p) => p.slice(REMOTE_ROOT.length));
    const want = [...this.expected.keys()].sort();
    assert.deepEqual(remote.sort(), want, 'Dropbox holds exactly the files written, once');
    assert.deepEqual(
      await listFilesRel(this.hub.archiveDir),
      want,
      'the archive holds exactly the files written, once',
    );
    assert.deepEqual(
      all.filter((p) => !p.startsWith(REMOTE_ROOT) && p.endsWith('.txt')),
      [],
      'no .txt elsewhere on Dropbox',
    );
    for (const rel of want) {
      assert.equal(this.onDropbox(rel), this.expected.get(rel), `${rel} on Dropbox`);
      assert.equal(await this.onCard(rel), this.expected.get(rel), `${rel} in the archive`);
    }
    assert.deepEqual(await listFilesRel(this.hub.watchDir), [], 'watch folder empty');
    assert.deepEqual(await listFilesRel(this.hub.transitDir), [], 'transit folder empty');
  }

  /** The alert command heard `first`, and `then` after it. */
  async heardInOrder(first: string, then: string): Promise<void> {
    const heard = await this.heard();
    const i = heard.indexOf(first);
    assert.ok(i >= 0 && heard.indexOf(then, i) > i, `${first}, then ${then}:\n${heard.join('\n')}`);
  }

  /**
   * Conditions the alert command heard raised again while still open (no clear between): one
   * announcement per condition, also across restarts (README: a restart does not announce again
   * what was already announced).
   */
  async raisedTwice(): Promise<string[]> {
    const open = new Set<string>();
    const twice: string[] = [];
    for (const line of await this.heard()) {
      const [event, condition] = line.split(' ');
      if (event === 'raised' && open.has(condition!)) twice.push(condition!);
      if (event === 'raised') open.add(condition!);
      if (event === 'cleared') open.delete(condition!);
    }
    return twice;
  }

  /** Conditions the alert command heard raised and not cleared since. */
  async openAlerts(): Promise<string[]> {
    const open = new Set<string>();
    for (const line of await this.heard()) {
      const [event, condition] = line.split(' ');
      if (event === 'raised') open.add(condition!);
      if (event === 'cleared') open.delete(condition!);
    }
    return [...open];
  }

  async stopDaemon(): Promise<void> {
    const d = this.daemon!;
    d.kill('SIGTERM');
    assert.ok(await exitWithin(d, 20_000), 'the daemon stops on SIGTERM');
    assert.equal(d.exitCode, 0, this.stderr.slice(-2000));
  }

  /**
   * How every day must end: "Up to date", every file once and whole (audit), every condition
   * raised heard cleared and none raised twice, the daemon stopped cleanly. Returns the last status.
   */
  async endsClean(): Promise<string> {
    let s = '';
    await this.until(
      'status "Up to date"',
      async () => /Up to date/.test((s = await this.status())),
      WAIT_MS,
      500,
    );
    await this.audit();
    await this.until(
      'every condition raised heard cleared',
      async () => (await this.openAlerts()).length === 0,
    );
    assert.deepEqual(await this.raisedTwice(), [], (await this.heard()).join('\n'));
    await this.stopDaemon();
    return s;
  }

  async cleanup(): Promise<void> {
    for (const c of this.children) if (running(c)) c.kill('SIGKILL');
    await Promise.all(this.children.map((c) => exitWithin(c, 10_000)));
  }
}

/** Cleanups of a test, run last-registered first (the daemon before the disk it writes on). */
const cleanups = new WeakMap<TestContext, (() => unknown)[]>();
function onEnd(t: TestContext, fn: () => unknown): void {
  let list = cleanups.get(t);
  if (!list) {
    const fns: (() => unknown)[] = [];
    cleanups.set(t, (list = fns));
    t.after(async () => {
      for (const f of fns.reverse()) await f();
    });
  }
  list.push(fn);
}

/**
 * The hub's folders as WORKLOAD.md lays them out. `disk` mounts a small tmpfs: on the archive
 * folder alone (a card of its own), or under the whole SHELF3 and settings folder (the hub's one
 * card holding the data, the local archive and the settings).
 */
async function makeHub(
  t: TestContext,
  disk: { on: 'archive' | 'everything'; kiB: number },
): Promise<Hub> {
  const root = await tempDir('rdl-hub-day-');
  onEnd(t, () => removeDir(root));
  const card = path.join(root, 'card');
  await fs.mkdir(card);
  mountTmpfs(card, disk.kiB);
  onEnd(t, () => unmount(card));
  const home = disk.on === 'everything' ? card : root;
  const shelf = path.join(home, 'SHELF3');
  const lf = path.join(shelf, 'logging-folder');
  const hub: Hub = {
    root,
    shelf,
    inprogress: path.join(lf, '1_inprogress'),
    watchDir: path.join(lf, '2_tosync'),
    transitDir: path.join(lf, '3_transit'),
    archiveDir: disk.on === 'archive' ? card : path.join(lf, '4_synced'),
    configDir: path.join(home, '.config', 'rdl-sync'),
    sources: path.join(root, 'sources'),
    heard: path.join(root, 'heard.log'),
  };
  for (const d of [hub.inprogress, hub.watchDir, hub.transitDir, hub.archiveDir, hub.sources])
    await fs.mkdir(d, { recursive: true });
  return hub;
}

/** Emulator, link, alert command and settings for `hub`; the daemon not started yet. */
async function setUp(t: TestContext, hub: Hub): Promise<{ day: Day; link: Relay }> {
  const emulator = await startEmulator({});
  onEnd(t, () => emulator.close());
  const link = new Relay(Number(new URL(emulator.url).port));
  await link.open();
  onEnd(t, () => link.close());
  const hook = path.join(hub.root, 'on-alert.sh');
  await fs.writeFile(
    hook,
    `#!/bin/sh\ncat >/dev/null\necho "$RDL_ALERT_EVENT $RDL_ALERT_CONDITION" >> "${hub.heard}"\n`,
    { mode: 0o755 },
  );
  const settings = testSettings(hub, emulator, {
    site: SITE,
    remoteRootTemplate: '/Professional/WIRED/{site}',
    dropboxEndpoint: `http://127.0.0.1:${link.port}`,
    stableSeconds: STABLE_SECONDS,
    intervalSeconds: 2,
    concurrency: 4,
    alertCommand: hook,
    alertFlapMinutes: 0,
  });
  await writeConfig(hub.configDir, settings, emulator);
  const day = new Day(hub, emulator);
  onEnd(t, () => day.cleanup());
  return { day, link };
}

test('a hub day: loggers as they write, an outage, a full card, a SIGKILL, a hand-edit mistake: every file once, whole, on Dropbox and the card', async (t) => {
  assert.ok(await canMount(), 'this test needs to mount a tmpfs (root)');
  const hub = await makeHub(t, { on: 'archive', kiB: 4 * 1024 });
  const { day, link } = await setUp(t, hub);
  const emulator = day.emulator;
  const stages: string[] = [];
  const note = (what: string, s: string): void => {
    stages.push(`--- ${what}\n${s}`);
  };
  const started = performance.now();

  try {
    // -- morning: every logger writes; the daemon runs as the service -------------------------
    day.startDaemon();
    const irRel = 'cameras/infrared1/2026-10-25/2026-10-25_02_30.csv';
    const release = path.join(hub.root, 'infrared-release');
    const morning = [
      await day.rdl('2026-10-24', 40),
      await day.camera('cameras/reolink1/2026-10-25/2026-10-25_02_15.jpg'),
      await day.camera('cameras/reolink1/2026-10-25/2026-10-25_02_30.jpg'),
      await day.camera('cameras/reolink2/2026-10-25/2026-10-25_02_30.jpg'),
      await day.infrared(irRel, { ms: 2 * WAIT_MS, release }),
    ];
    // While the infrared camera holds its CSV, across passes and a restart, it stays in the watch
    // folder: looked at every 100 ms of the hold.
    const noShortInfrared = async (): Promise<void> => {
      assert.equal(day.onDropbox(irRel), undefined, 'an infrared CSV still open was uploaded');
      assert.ok(
        !(await listFilesRel(hub.transitDir)).includes(irRel),
        'an infrared CSV still open was staged',
      );
    };
    await day.until(
      'the other morning files on Dropbox while the infrared CSV is held',
      async () => {
        await noShortInfrared();
        return Boolean(day.onDropbox('cameras/reolink2/2026-10-25/2026-10-25_02_30.jpg'));
      },
      WAIT_MS,
      100,
    );
    // systemd restarts the service while the camera still holds the file: the new daemon finds
    // it with its mtime long past stableSeconds, and still must not take it (two passes of its).
    await killHard(day.daemon!);
    const second = day.startDaemon();
    const passes = new Set<number>();
    await day.until(
      'two passes of the restarted daemon during the hold',
      async () => {
        await noShortInfrared();
        const p = await readPublishedStatus(hub.configDir);
        if (p && p.pid === second.pid && p.status.lastPassMs) passes.add(p.status.lastPassMs);
        // The first value seen may be the killed daemon's last pass, carried over.
        return passes.size >= 3;
      },
      WAIT_MS,
      100,
    );
    assert.ok(running(morning[4]!), 'the infrared camera held its CSV until released');
    await fs.writeFile(release, '');
    for (const w of morning) await day.finished(w);
    await day.until('the morning on Dropbox and the card', () => day.allSynced(), WAIT_MS, 100);

    // -- the autumn clock change: the same camera name again, other bytes ---------------------
    await day.finished(
      await day.camera(
        'cameras/reolink1/2026-10-25/2026-10-25_02_30.jpg',
        'cameras/reolink1/2026-10-25/2026-10-25_02_30 (1).jpg',
      ),
    );
    await day.until('the repeated name kept as (1)', () => day.allSynced(), WAIT_MS, 100);

    // -- the WiFi drops: Dropbox unreachable; the archive leg goes on --------------------------
    await link.close();
    const offline = [
      await day.rdl('2026-10-25', 40),
      await day.camera('cameras/reolink1/2026-10-25/2026-10-25_03_00.jpg'),
      await day.camera('cameras/reolink2/2026-10-25/2026-10-25_03_00.jpg'),
      await day.infrared('cameras/infrared1/2026-10-25/2026-10-25_03_00.csv'),
    ];
    for (const w of offline) await day.finished(w);
    const offlineRels = [...day.expected.keys()].filter((r) => /25_03_00|2026-10-25_USB0/.test(r));
    await day.until(
      'the offline files on the card',
      async () => {
        for (const r of offlineRels)
          if ((await day.onCard(r)) !== day.expected.get(r)) return false;
        return true;
      },
      WAIT_MS,
      200,
    );
    // The card may take them while the pass still tries Dropbox (a pass held up by one leg stages
    // again for the other at each tick): the status says unreachable once that pass has given up.
    await day.until(
      'Dropbox said unreachable',
      async () => /Dropbox is unreachable/.test(await day.status()),
      WAIT_MS,
      200,
    );
    let s = await day.status();
    note('Dropbox unreachable', s);
    assert.match(s, /Dropbox is unreachable/, s);
    assert.match(s, /4 files waiting safely/, s);
    assert.doesNotMatch(s, /Up to date/, s);

    // The clock change again, this time while the first file of that name waits in transit for
    // Dropbox: the second must wait for it, then be kept beside it.
    await day.finished(
      await day.camera(
        'cameras/reolink2/2026-10-25/2026-10-25_03_00.jpg',
        'cameras/reolink2/2026-10-25/2026-10-25_03_00 (1).jpg',
      ),
    );

    // -- the card fills up while still offline --------------------------------------------------
    const filler = await fill(hub.archiveDir);
    await day.finished(await day.camera('cameras/reolink1/2026-10-25/2026-10-25_03_15.jpg'));
    await day.until(
      'the full card heard by the alert command',
      async () => (await day.heard()).some((l) => /^raised archive-full/.test(l)),
      WAIT_MS,
      200,
    );
    // status.json is written up to a second after a change: the alert can be heard before it.
    await day.until('the full card in the status', async () => /full/i.test(await day.status()));
    s = await day.status();
    note('offline and the card full', s);
    assert.doesNotMatch(s, /Up to date/, s);
    assert.match(s, /full/i, s);

    // -- WiFi back; the daemon SIGKILLed while it uploads the backlog, restarted -----------------
    const moreCams = [];
    for (let i = 0; i < 6; i++)
      moreCams.push(await day.camera(`cameras/reolink2/2026-10-25/2026-10-25_03_${15 + i}.jpg`));
    for (const w of moreCams) await day.finished(w);
    // Dropbox's answers lost as a bad link loses them: commits applied but unanswered, an
    // append cut off, a "too many write operations": retries must not make "name (1)" copies.
    emulator.addFault({
      route: 'files/upload_session/finish_batch_v2',
      kind: 'unavailable_after_apply',
    });
    emulator.addFault({ route: 'files/upload_session/append_batch', kind: 'drop_response' });
    emulator.addFault({ route: 'files/upload', kind: 'drop_response' });
    emulator.addFault({
      route: 'files/upload_session/finish_batch_v2',
      kind: 'too_many_write_operations',
      afterCalls: 1,
    });
    await link.open();
    const before = emulator.listFiles().length;
    await day.until(
      'the daemon uploading the backlog',
      async () => emulator.listFiles().length > before,
      WAIT_MS,
      20,
    );
    await killHard(day.daemon!);
    assert.ok((await listFilesRel(hub.transitDir)).length > 0, 'killed with work in transit');
    s = await day.status();
    note('the daemon killed, not yet restarted', s);
    assert.doesNotMatch(s, /Up to date|Daemon running/, s);
    const restarted = day.startDaemon();
    await day.until(
      'the restarted daemon publishing its status',
      async () => (await readPublishedStatus(hub.configDir))?.pid === restarted.pid,
    );

    // -- a hand edit of config.json with a mistake, while the daemon runs -----------------------
    const configFile = path.join(hub.configDir, 'config.json');
    const good = await fs.readFile(configFile, 'utf8');
    await fs.writeFile(configFile, good.replace(/\n}\s*$/, ',\n}\n'));
    await day.until(
      'the hand-edit mistake shown',
      async () => (await day.problems()).includes('settings-file-mistakes'),
      WAIT_MS,
      200,
    );
    s = await day.status();
    note('hand-edit mistake', s);
    // It keeps syncing meanwhile with the settings in force.
    const rdl3 = await day.rdl('2026-10-26', 20);
    await day.finished(rdl3);
    await day.until(
      'a file arriving during the mistake on Dropbox',
      async () =>
        day.onDropbox('RDL/USB0/2026-10/RDL_2026-10-26_USB0.txt') ===
        day.expected.get('RDL/USB0/2026-10/RDL_2026-10-26_USB0.txt'),
      WAIT_MS,
      200,
    );
    await fs.writeFile(configFile, good);
    await day.until(
      'the corrected file taken',
      async () => !(await day.problems()).includes('settings-file-mistakes'),
      WAIT_MS,
      200,
    );

    // -- the card freed: everything drains --------------------------------------------------------
    s = await day.status();
    note('card still full, Dropbox back', s);
    assert.doesNotMatch(s, /Up to date/, s);
    await fs.rm(filler);
    // Killed again while it copies the backlog onto the freed card.
    const onCardBefore = (await listFilesRel(hub.archiveDir)).length;
    await day.until(
      'copies onto the freed card',
      async () => (await listFilesRel(hub.archiveDir)).length > onCardBefore,
      WAIT_MS,
      20,
    );
    await killHard(day.daemon!);
    day.startDaemon();
    await day.until(
      'everything on Dropbox and the card, nothing waiting',
      async () => (await day.allSynced()) && (await day.queueEmpty()),
      60_000,
      250,
    );
    await day.until(
      'the card full resolved through the alert command',
      async () => (await day.heard()).some((l) => /^cleared archive-full/.test(l)),
      WAIT_MS,
      200,
    );
    note('the end', await day.endsClean());
    await day.heardInOrder('raised archive-full', 'cleared archive-full');
  } catch (e) {
    console.log(stages.join('\n'));
    console.log('alerts heard:\n' + (await day.heard()).join('\n'));
    console.log('daemon stderr:\n' + day.stderr.slice(-4000));
    throw e;
  } finally {
    console.log(`hub day: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
});

test("the hub's one card full (data, local archive and settings on one disk) while files wait for Dropbox: nothing lost, nothing twice, told and cleared", async (t) => {
  assert.ok(await canMount(), 'this test needs to mount a tmpfs (root)');
  const hub = await makeHub(t, { on: 'everything', kiB: 6 * 1024 });
  const { day, link } = await setUp(t, hub);
  const stages: string[] = [];
  const started = performance.now();
  let s: string;
  try {
    day.startDaemon();
    const morning = [
      await day.rdl('2026-10-24', 30),
      await day.camera('cameras/reolink1/2026-10-25/2026-10-25_08_00.jpg'),
      await day.infrared('cameras/infrared1/2026-10-25/2026-10-25_08_00.csv'),
    ];
    for (const w of morning) await day.finished(w);
    await day.until('the morning on Dropbox and in the archive', () => day.allSynced());

    // The WiFi drops; files arrive, are staged and archived (a hard link on this disk), and wait.
    await link.close();
    const offline = [
      await day.rdl('2026-10-25', 30),
      await day.camera('cameras/reolink1/2026-10-25/2026-10-25_08_15.jpg'),
      await day.camera('cameras/reolink2/2026-10-25/2026-10-25_08_15.jpg'),
      await day.infrared('cameras/infrared1/2026-10-25/2026-10-25_08_30.csv'),
    ];
    for (const w of offline) await day.finished(w);
    const waiting = [...day.expected.keys()].filter((r) => /08_15|08_30|2026-10-25_USB0/.test(r));
    await day.until('the offline files in the archive', async () => {
      for (const r of waiting) if ((await day.onCard(r)) !== day.expected.get(r)) return false;
      return true;
    });

    // Something else fills the card to the last byte (a runaway log beside the data).
    const filler = await fill(hub.shelf);
    await fillToTheByte(filler);
    await day.until('the full disk heard by the alert command', async () =>
      (await day.heard()).some((l) => l.startsWith('raised disk-nearly-full')),
    );
    s = await day.status();
    stages.push(`--- offline, the disk full\n${s}`);
    assert.doesNotMatch(s, /Up to date/, s);

    // Dropbox back while the disk is still full: the waiting files go up.
    await link.open();
    await day.until('the waiting files on Dropbox', async () =>
      waiting.every((r) => day.onDropbox(r) === day.expected.get(r)),
    );
    // systemd restarts the service on the full disk.
    await killHard(day.daemon!);
    day.startDaemon();
    s = await day.status();
    stages.push(`--- restarted on the full disk\n${s}`);
    assert.doesNotMatch(s, /Up to date/, s);

    // Space freed: everything settles, once.
    await fs.rm(filler);
    await day.until(
      'nothing waiting',
      async () => (await day.allSynced()) && (await day.queueEmpty()),
      60_000,
      250,
    );
    await day.until('the full disk cleared through the alert command', async () =>
      (await day.heard()).some((l) => l.startsWith('cleared disk-nearly-full')),
    );
    stages.push(`--- the end\n${await day.endsClean()}`);
  } catch (e) {
    console.log(stages.join('\n'));
    console.log('alerts heard:\n' + (await day.heard()).join('\n'));
    console.log('daemon stderr:\n' + day.stderr.slice(-4000));
    console.log(
      'alerts.jsonl:\n' +
        (await fs.readFile(path.join(hub.configDir, 'alerts.jsonl'), 'utf8').catch(String)),
    );
    throw e;
  } finally {
    console.log(`hub card full: ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
});
