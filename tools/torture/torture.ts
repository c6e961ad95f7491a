// Crash-and-fault torture of the real daemon (the CLI bundle, built afresh from src at start): simulated loggers feed a watch
// folder while the daemon is SIGKILLed (sometimes SIGTERMed) at random moments and restarted,
// with network, Dropbox, card and transit faults mixed in. After every kill (daemon dead: a
// consistent snapshot) and after a final drain, the invariants of DESIGN.md are checked.
// Root only (tmpfs and bind mounts). Not a CI test: `node --import tsx tools/torture/torture.ts
// --rounds 150 --layout split|onecard [--seed N]`; see tools/torture/README.md.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { createReadStream, openSync, writeSync, closeSync, fsyncSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { buildCli } from '../../scripts/build.mjs';
import { dropboxContentHash, DropboxHasher } from '../../src/engine/fsutil/index.js';
import { FileCredentialStore } from '../../src/engine/credentials/index.js';
import { keepBothName } from '../../src/engine/legs/keep-both.js';
import { History } from '../../src/engine/history/index.js';
import type { PublishedStatus } from '../../src/engine/status/status-file.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';

const repo = path.resolve(import.meta.dirname, '../..');
/** The daemon as installed (bundle under dist/cli, package.json above), built from today's src:
 * a checkout's own dist/ may be missing or older than the code under test. */
async function buildDaemon(): Promise<string> {
  const pkg = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-torture-cli-'));
  process.once('exit', () => rmSync(pkg, { recursive: true, force: true }));
  await fs.copyFile(path.join(repo, 'package.json'), path.join(pkg, 'package.json'));
  return buildCli(path.join(pkg, 'dist', 'cli', 'cli.mjs'));
}
const cli = await buildDaemon();
const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '150' },
    layout: { type: 'string', default: 'split' },
    seed: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'history-limit': { type: 'string', default: '100000' },
    // Off by default: on Linux a writer holding a file open keeps it from being staged, so only
    // a person editing transit (or a platform without /proc) changes a transit file.
    'edit-transit': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(args.rounds);
const HISTORY_LIMIT = Number(args['history-limit']);
const LAYOUT = args.layout as 'split' | 'onecard';
let seed = Number(args.seed ?? Date.now() % 1_000_000);
const SEED = seed;
const rnd = (): number => {
  seed = (seed * 1664525 + 1013904223) >>> 0;
  return seed / 2 ** 32;
};
const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)]!;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const log = (...a: unknown[]): void => console.log(new Date().toISOString().slice(11, 23), ...a);

function sh(cmd: string, ...a: string[]): void {
  const r = spawnSync(cmd, a, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${a.join(' ')}: ${r.stderr}`);
}

async function hashFile(p: string): Promise<string> {
  const h = new DropboxHasher();
  for await (const c of createReadStream(p)) h.update(c as Buffer);
  return h.digest();
}

// ---------------------------------------------------------------------------------------------
// Folders and mounts
const root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-torture-'));
let configDir = path.join(root, 'config');
let inprogress = path.join(root, 'inprogress');
let watchDir: string, transitDir: string, archiveDir: string, cardStore: string | null;
let transitDisk: string, fillerDirs: string[];
if (LAYOUT === 'split') {
  // Orange Pi: watch on the system disk, transit on a small disk, archive a mounted card.
  watchDir = path.join(root, 'tosync');
  transitDisk = path.join(root, 'tdisk');
  transitDir = path.join(transitDisk, 'transit');
  cardStore = path.join(root, 'cardstore');
  archiveDir = path.join(root, 'card');
  for (const d of [watchDir, transitDisk, cardStore, archiveDir]) await fs.mkdir(d);
  sh('mount', '-t', 'tmpfs', '-o', 'size=96m', 'tmpfs', transitDisk);
  sh('mount', '-t', 'tmpfs', '-o', 'size=640m', 'tmpfs', cardStore);
  sh('mount', '--bind', cardStore, archiveDir);
  fillerDirs = [transitDisk, cardStore];
} else {
  // Raspberry Pi: one card holds watch, transit and archive (hard links).
  transitDisk = path.join(root, 'disk');
  await fs.mkdir(transitDisk);
  sh('mount', '-t', 'tmpfs', '-o', 'size=900m', 'tmpfs', transitDisk);
  watchDir = path.join(transitDisk, '2_tosync');
  transitDir = path.join(transitDisk, '3_transit');
  archiveDir = path.join(transitDisk, '4_synced');
  cardStore = null;
  inprogress = path.join(transitDisk, '1_inprogress');
  configDir = path.join(transitDisk, 'home', '.config', 'rdl-sync'); // the hub's one card
  for (const d of [watchDir, archiveDir]) await fs.mkdir(d);
  fillerDirs = [transitDisk];
}
await fs.mkdir(inprogress, { recursive: true });
let cardMounted = true;
/** Cards taken out by a swap (split): still mounted at their own store, holding what they got. */
const oldCards: string[] = [];
/** The card's mount made read-only (the kernel does so to an SD card that shows errors). */
let cardReadOnly = false;

// ---------------------------------------------------------------------------------------------
// Emulator (its own process) and a TCP relay in front of it that can refuse connections.
const emuChild = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    path.join(repo, 'tools/emulator/cli.ts'),
    '--port',
    '0',
    '--json',
    '--data',
    path.join(root, 'emu'),
    '--lock-window-ms',
    '5',
  ],
  { cwd: repo, stdio: ['ignore', 'pipe', 'inherit'] },
);
const emu = await new Promise<{
  url: string;
  adminToken: string;
  appKey: string;
  refreshToken: string;
}>((resolve, reject) => {
  let out = '';
  emuChild.stdout!.setEncoding('utf8').on('data', (d: string) => {
    out += d;
    if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
  });
  emuChild.once('exit', () => reject(new Error('emulator exited')));
});
const emuPort = Number(new URL(emu.url).port);
async function admin(action: string, body: unknown = {}): Promise<unknown> {
  const r = await fetch(`${emu.url}/__admin/${action}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${emu.adminToken}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await r.text();
  if (!r.ok) throw new Error(`admin ${action}: ${r.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

const relaySockets = new Set<net.Socket>();
let relay: net.Server | null = null;
let relayPort = 0;
async function relayUp(): Promise<void> {
  if (relay) return;
  relay = net.createServer((c) => {
    const up = net.connect(emuPort, '127.0.0.1');
    relaySockets.add(c).add(up);
    c.pipe(up).pipe(c);
    const end = (): void => {
      c.destroy();
      up.destroy();
      relaySockets.delete(c);
      relaySockets.delete(up);
    };
    c.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => relay!.listen(relayPort, '127.0.0.1', r));
  relayPort = (relay.address() as net.AddressInfo).port;
}
async function relayDown(): Promise<void> {
  if (!relay) return;
  const s = relay;
  relay = null;
  for (const c of relaySockets) c.destroy();
  relaySockets.clear();
  await new Promise<void>((r) => s.close(() => r()));
}
await relayUp();

// ---------------------------------------------------------------------------------------------
// Settings
await fs.mkdir(configDir, { recursive: true });
const settings = {
  ...defaultSettings(),
  watchDir,
  transitDir,
  archiveDir,
  archiveMustBeMountPoint: LAYOUT === 'split',
  site: 'site1',
  remoteRootTemplate: '/RDL/{site}',
  stableSeconds: 1,
  intervalSeconds: 2,
  chunkSizeMiB: 4,
  concurrency: 4,
  historyLimit: HISTORY_LIMIT,
  dropboxAppKey: emu.appKey,
  dropboxEndpoint: `http://127.0.0.1:${relayPort}`,
};
await fs.writeFile(path.join(configDir, 'config.json'), JSON.stringify(settings, null, 2));
await new FileCredentialStore(configDir).save({
  appKey: emu.appKey,
  refreshToken: emu.refreshToken,
});

// ---------------------------------------------------------------------------------------------
// What the loggers finished: watch rel (as bytes-safe string) -> expected hash and synced rel.
interface Expect {
  hash: string;
  synced: string; // the name on Dropbox and the card (escaped form)
  size: number;
  /** Earlier files with this name, already synced: kept beside it as `name (n)` (keep both). */
  older?: string[];
  /**
   * Lines appended in transit (--edit-transit). Each replaces our copies of the bytes before it,
   * and may add a `done` record: an edit after the daemon recorded the file done and before it
   * removed the transit copy (a kill between) is a new version, recorded when it is done too.
   */
  edits?: number;
}
const expected = new Map<string, Expect>();
const defects: string[] = [];
function defect(msg: string): void {
  if (defects.length < 500) defects.push(msg);
  log('DEFECT?', msg);
}
let bytesWritten = 0;

async function writeInWatch(rel: string, body: Buffer, synced = rel): Promise<void> {
  const p = path.join(watchDir, ...rel.split('/'));
  await fs.mkdir(path.dirname(p), { recursive: true });
  try {
    await fs.writeFile(p, body);
  } catch (e) {
    // A full disk: the logger's write failed; it leaves no file behind.
    await fs.rm(p, { force: true });
    throw e;
  }
  expected.set(rel, { hash: dropboxContentHash(body), synced, size: body.length });
  bytesWritten += body.length;
}

const DAY0 = Date.UTC(2026, 10, 1);
let rdlSeq = 0;
let rdlLines = 0;
const rdlCur = (): string => path.join(inprogress, 'RDL_cur_USB0.txt');
// RDL logger: open, append one line, close; at the end of its "day" rename into a dated folder.
async function rdlTick(): Promise<void> {
  const line = `${new Date().toISOString()},${rdlSeq},${rdlLines},${'7'.repeat(150 + (rdlLines % 40))}\n`;
  await fs.appendFile(rdlCur(), line);
  rdlLines++;
  if (rdlLines >= 20 + Math.floor(rnd() * 40)) await rdlRotate();
}
async function rdlRotate(): Promise<void> {
  if (rdlLines === 0) return;
  const d = new Date(DAY0 + rdlSeq * 86_400_000).toISOString().slice(0, 10);
  const rel = `RDL/USB0/${d.slice(0, 7)}/RDL_${d}_${rdlSeq}_USB0.txt`;
  const body = await fs.readFile(rdlCur());
  const p = path.join(watchDir, ...rel.split('/'));
  await fs.mkdir(path.dirname(p), { recursive: true });
  await fs.rename(rdlCur(), p);
  expected.set(rel, { hash: dropboxContentHash(body), synced: rel, size: body.length });
  bytesWritten += body.length;
  rdlSeq++;
  rdlLines = 0;
}

let camSeq = 0;
async function cameraShot(): Promise<void> {
  const t = new Date(DAY0 + camSeq * 900_000).toISOString();
  const rel = `cameras/reolink1/${t.slice(0, 10)}/${t.slice(0, 16).replace(/[T:]/g, '_')}.jpg`;
  camSeq++;
  await writeInWatch(rel, randomBytes(20_000 + Math.floor(rnd() * 200_000)));
}

// Infrared camera: writes most of a CSV, keeps it open (longer than stableSeconds), then closes.
let irSeq = 0;
const irOpen = new Set<Promise<void>>();
function infrared(): void {
  const rel = `cameras/infrared1/ir-${irSeq++}.csv`;
  const p = path.join(watchDir, ...rel.split('/'));
  const body = randomBytes(100_000 + Math.floor(rnd() * 44_000));
  const holdMs = 1500 + rnd() * 2500;
  const job = (async () => {
    await fs.mkdir(path.dirname(p), { recursive: true });
    const fd = openSync(p, 'w');
    try {
      const cut = Math.floor(body.length * 0.94);
      // A full disk can take part of a write without an error: a logger then gives up.
      if (writeSync(fd, body, 0, cut) !== cut) throw new Error('short write (disk full)');
      await sleep(holdMs);
      if (writeSync(fd, body, cut, body.length - cut) !== body.length - cut)
        throw new Error('short write (disk full)');
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      await fs.rm(p, { force: true }); // a full disk: this logger gives the file up
      throw e;
    }
    closeSync(fd);
    expected.set(rel, { hash: dropboxContentHash(body), synced: rel, size: body.length });
    bytesWritten += body.length;
  })();
  const settled = job.catch((e: Error) => log('infrared', e.message));
  irOpen.add(settled);
  void settled.finally(() => irOpen.delete(settled));
}

let burstSeq = 0;
async function burst(): Promise<void> {
  const n = 20 + Math.floor(rnd() * 80);
  const b = burstSeq++;
  for (let i = 0; i < n; i++)
    await writeInWatch(`burst/${b}/rec-${i}.csv`, randomBytes(1 + Math.floor(rnd() * 3000)));
}

let bigSeq = 0;
let bigBytes = 0;
async function bigFile(): Promise<void> {
  if (bigBytes > 200 * 2 ** 20) return;
  const size = 5 * 2 ** 20 + Math.floor(rnd() * 9 * 2 ** 20);
  bigBytes += size;
  await writeInWatch(`big/blob-${bigSeq++}.bin`, randomBytes(size));
}

// Odd names: kept as they are, or escaped the same way on both legs (README "Names").
const ODD: [string, string][] = [
  ['odd/café ü.csv', 'odd/café ü.csv'],
  ['odd/50%.csv', 'odd/50%.csv'],
  ['odd/space in name.csv', 'odd/space in name.csv'],
  ['odd/trailing.csv ', 'odd/trailing.csv%20'],
  ['odd/back\\slash.csv', 'odd/back%5Cslash.csv'],
  ['odd/pct%41.csv', 'odd/pct%2541.csv'],
  ['odd/日本語.txt', 'odd/日本語.txt'],
  ['odd/emoji-😀.csv', 'odd/emoji-😀.csv'],
];
let oddSeq = 0;
async function oddName(): Promise<void> {
  const [rel, synced] = ODD[oddSeq % ODD.length]!;
  const round = Math.floor(oddSeq / ODD.length);
  oddSeq++;
  const dir = `odd${round}`;
  await writeInWatch(
    rel.replace(/^odd/, dir),
    randomBytes(10 + Math.floor(rnd() * 5000)),
    synced.replace(/^odd/, dir),
  );
}

// A logger reusing a name (the autumn clock change): a new file where a synced one was.
const doneRels: string[] = [];
async function rewriteSynced(): Promise<void> {
  const rel = doneRels.splice(Math.floor(rnd() * doneRels.length), 1)[0];
  if (!rel) return;
  const e = expected.get(rel)!;
  if (e.synced !== rel) return;
  const body = randomBytes(100 + Math.floor(rnd() * 8000));
  const p = path.join(watchDir, ...rel.split('/'));
  await fs.mkdir(path.dirname(p), { recursive: true });
  try {
    await fs.writeFile(p, body);
  } catch (e) {
    await fs.rm(p, { force: true }); // a full disk: the logger leaves no file
    throw e;
  }
  expected.set(rel, {
    hash: dropboxContentHash(body),
    synced: rel,
    size: body.length,
    older: [...(e.older ?? []), e.hash],
  });
  stats.rewrites++;
}
// A writer whose descriptor followed the rename, writing while the daemon is down: the transit
// copy grows; the new bytes must reach both legs, replacing our copies of the earlier bytes.
async function editInTransit(): Promise<void> {
  // Not a file still in the watch folder too: its staging was cut short (a copy across disks,
  // killed before the watch name went), so no writer's descriptor followed it into transit, and
  // the watch file, the logger's own, is staged after it as another file of the name.
  const inWatch = new Set(await listRel(watchDir));
  const t = (await listRel(transitDir)).filter(
    (r) =>
      !r.startsWith('.rdl-sync-tmp/') &&
      /\.(csv|txt)$/.test(r) &&
      expected.has(r) &&
      !inWatch.has(r),
  );
  const rel = t[Math.floor(rnd() * t.length)];
  if (!rel) return;
  const p = path.join(transitDir, ...rel.split('/'));
  const fh = await fs.open(p, 'r+');
  try {
    const st = await fh.stat();
    await fh.write(Buffer.from(`late line ${Date.now()}\n`), 0, undefined, st.size);
  } finally {
    await fh.close();
  }
  const body = await fs.readFile(p);
  const e = expected.get(rel)!;
  expected.set(rel, {
    ...e,
    hash: dropboxContentHash(body),
    size: body.length,
    edits: (e.edits ?? 0) + 1,
  });
  stats.transitEdits++;
}

let loggersOn = true;
const loggerTimers: NodeJS.Timeout[] = [];
/** Logger ticks under way: a drain waits for them before the last rotation. */
const ticking = new Set<Promise<void>>();
// A tick starts only once the same logger's previous one has ended. Overlapping (under load a tick
// takes longer than its interval), one RDL tick's append landed between another's read and rename
// in rdlRotate: the driver then expected bytes the logger never left in the file, and reported
// "transit copy ... differs from what the logger wrote" with both legs holding the same bytes.
function every(ms: number, fn: () => Promise<void> | void): void {
  let running: Promise<void> | null = null;
  const t = setInterval(() => {
    if (!loggersOn || running) return;
    const tick: Promise<void> = Promise.resolve()
      .then(fn)
      .catch((e: Error) => log('logger error', e.message))
      .finally(() => {
        running = null;
        ticking.delete(tick);
      });
    running = tick;
    ticking.add(tick);
  }, ms);
  loggerTimers.push(t);
}
every(150, rdlTick);
every(1300, cameraShot);
every(4100, infrared);
every(6700, burst);
every(23_000, bigFile);
every(3100, oddName);

// ---------------------------------------------------------------------------------------------
// The daemon
let daemon: ChildProcess | null = null;
let stderrTail = '';
const logFile = path.join(configDir, 'logs', 'rdl-sync.log');
function startDaemon(): ChildProcess {
  stderrTail = '';
  const c = spawn(process.execPath, [cli, 'run', '--config-dir', configDir], {
    cwd: root,
    env: { ...process.env, HOME: root, RDL_SYNC_QUIET: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  c.stderr!.setEncoding('utf8').on('data', (d: string) => {
    stderrTail = (stderrTail + d).slice(-4000);
  });
  daemon = c;
  return c;
}
const alive = (c: ChildProcess): boolean => c.exitCode === null && c.signalCode === null;
function exited(c: ChildProcess, ms: number): Promise<boolean> {
  if (!alive(c)) return Promise.resolve(true);
  return new Promise((r) => {
    const t = setTimeout(() => r(false), ms);
    c.once('exit', () => {
      clearTimeout(t);
      r(true);
    });
  });
}
async function logSize(): Promise<number> {
  return (await fs.stat(logFile).catch(() => ({ size: 0 }))).size;
}
async function logSince(pos: number): Promise<string> {
  const fh = await fs.open(logFile, 'r').catch(() => null);
  if (!fh) return '';
  try {
    const st = await fh.stat();
    if (st.size < pos) pos = 0; // rotated
    const buf = Buffer.alloc(Math.min(st.size - pos, 4_000_000));
    await fh.read(buf, 0, buf.length, pos);
    return buf.toString('utf8');
  } finally {
    await fh.close();
  }
}
/** Waits for the daemon to log its start; false (a defect) if it exits first or never does. */
async function waitStarted(c: ChildProcess, from: number, ms = 45_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(c)) return false;
    if ((await logSince(from)).includes(`"pid":${c.pid}`)) return true;
    await sleep(30);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Looking at Dropbox, the card, transit, watch
async function listRel(dir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(d: string, prefix: string): Promise<void> {
    let es;
    try {
      es = await fs.readdir(d, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of es) {
      const rel = prefix ? `${prefix}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(path.join(d, e.name), rel);
      else out.push(rel);
    }
  }
  await walk(dir, '');
  return out;
}
async function remoteFiles(): Promise<Map<string, string>> {
  const files = (await admin('files')) as { pathDisplay: string; contentHash: string }[];
  const rootP = '/RDL/site1/';
  return new Map(
    files
      .filter((f) => f.pathDisplay.startsWith(rootP))
      .map((f) => [f.pathDisplay.slice(rootP.length), f.contentHash]),
  );
}

const cardHashCache = new Map<string, { ino: number; mtimeMs: number; size: number; h: string }>();
async function cardHash(rel: string, card = archiveDir): Promise<string | undefined> {
  const p = path.join(card, ...rel.split('/'));
  const st = await fs.stat(p).catch(() => null);
  if (!st || !st.isFile()) return undefined;
  const c = cardHashCache.get(p);
  if (c && c.ino === st.ino && c.mtimeMs === st.mtimeMs && c.size === st.size) return c.h;
  const h = await hashFile(p).catch(() => undefined);
  if (h) cardHashCache.set(p, { ino: st.ino, mtimeMs: st.mtimeMs, size: st.size, h });
  return h;
}
/** The bytes under these names on the card in the slot and on every card swapped out before. */
async function hashesOnAnyCard(names: string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (const card of [archiveDir, ...oldCards])
    for (const n of names) {
      const h = await cardHash(n, card);
      if (h) out.add(h);
    }
  return out;
}

const IGNORED_CARD = /^(\.rdl-sync-tmp\/|\.filler)/;
interface CheckResult {
  pendingWatch: number;
  pendingTransit: number;
  done: number;
  bytesVerified: number;
}
/** The invariants while the daemon is dead (or after the drain). */
async function checkInvariants(when: string, final = false): Promise<CheckResult> {
  // Snapshot first: a logger may finish a file while the folders are listed.
  const exp = new Map(expected);
  const [watch, transit, remote, card] = await Promise.all([
    listRel(watchDir),
    listRel(transitDir),
    remoteFiles(),
    cardMounted ? listRel(archiveDir) : Promise.resolve(null),
  ]);
  const watchSet = new Set(watch);
  const transitSet = new Set(transit.filter((r) => !r.startsWith('.rdl-sync-tmp/')));
  const syncedNames = new Set<string>();
  for (const e of expected.values())
    for (let n = 0; n <= (e.older?.length ?? 0); n++) syncedNames.add(keepBothName(e.synced, n));
  for (const l of [...watch]) if (!expected.has(l)) watchSet.add(l);
  const r: CheckResult = { pendingWatch: 0, pendingTransit: 0, done: 0, bytesVerified: 0 };
  for (const [rel, e] of exp) {
    if (watchSet.has(rel)) {
      r.pendingWatch++;
      continue;
    }
    if (transitSet.has(e.synced) || transitSet.has(rel)) {
      r.pendingTransit++;
      const th = await hashFile(path.join(transitDir, ...e.synced.split('/'))).catch(() =>
        hashFile(path.join(transitDir, ...rel.split('/'))),
      );
      if (th !== e.hash)
        defect(`${when}: transit copy of ${rel} differs from what the logger wrote`);
      continue;
    }
    // Gone from watch and transit: both legs must hold these exact bytes, and every earlier file
    // of this name beside it.
    const versions = [...(e.older ?? []), e.hash].sort();
    const names = versions.map((_, n) => keepBothName(e.synced, n));
    if (e.older?.length) {
      const onRemote = names.map((n) => remote.get(n) ?? '-').sort();
      if (onRemote.join() !== versions.join())
        defect(`${when}: versions of ${rel} on Dropbox ${onRemote.join()} want ${versions.join()}`);
      if (cardMounted && oldCards.length === 0) {
        const onCard = (
          await Promise.all(names.map(async (n) => (await cardHash(n)) ?? '-'))
        ).sort();
        if (onCard.join() !== versions.join())
          defect(
            `${when}: versions of ${rel} on the card ${onCard.join()} want ${versions.join()}`,
          );
      } else if (cardMounted) {
        // After a swap each version is on the card it reached, under whichever of its names was
        // free there (a new card lacks the earlier versions, so a later one may take `name`).
        const onCards = await hashesOnAnyCard(names);
        const missing = versions.filter((v) => !onCards.has(v));
        if (missing.length)
          defect(`${when}: versions of ${rel} on no card: ${missing.join()} (want ${versions})`);
      }
      r.done++;
      continue;
    }
    const rh = remote.get(e.synced);
    if (rh !== e.hash)
      defect(
        `${when}: ${rel} left watch+transit but Dropbox has ${rh ? 'other bytes' : 'nothing'}`,
      );
    if (cardMounted) {
      let ch = await cardHash(e.synced);
      if (ch !== e.hash && oldCards.length && (await hashesOnAnyCard([e.synced])).has(e.hash))
        ch = e.hash; // on a card swapped out since
      if (ch !== e.hash)
        defect(
          `${when}: ${rel} left watch+transit but the card has ${ch ? 'other bytes' : 'nothing'}`,
        );
      else r.bytesVerified += e.size;
    }
    if (rh === e.hash) r.bytesVerified += e.size;
    r.done++;
    if (
      rh === e.hash &&
      /\.(csv|jpg)$/.test(rel) &&
      !doneRels.includes(rel) &&
      doneRels.length < 200
    )
      doneRels.push(rel);
  }
  for (const rel of remote.keys())
    if (!syncedNames.has(rel) && !rel.startsWith('_fleet'))
      defect(`${when}: extra on Dropbox: ${rel}`);
  if (card)
    for (const rel of card)
      if (!syncedNames.has(rel) && !IGNORED_CARD.test(rel))
        defect(`${when}: extra on card: ${rel}`);
  // Files in watch/transit that no logger finished (in progress infrared CSVs are in watch).
  for (const rel of transitSet)
    if (!syncedNames.has(rel)) defect(`${when}: unknown file in transit: ${rel}`);
  if (final) {
    if (watch.length > 0)
      defect(`${when}: still in watch after drain: ${watch.slice(0, 5).join(', ')}`);
    if (transit.length > 0)
      defect(`${when}: still in transit after drain: ${transit.slice(0, 5).join(', ')}`);
    // Partial copies a kill left on the card go when the daemon starts with the card writable.
    const cardTemps = card?.filter((r) => r.startsWith('.rdl-sync-tmp/')) ?? [];
    if (cardTemps.length > 0)
      defect(`${when}: partial copies left on the card: ${cardTemps.slice(0, 5).join(', ')}`);
  }
  return r;
}

// ---------------------------------------------------------------------------------------------
// Faults
type Fault =
  | 'refused'
  | '429'
  | '503'
  | 'reset-link'
  | 'card-full'
  | 'card-unmount'
  | 'card-readonly'
  | 'card-swap'
  | 'transit-full'
  | 'drop-response'
  | 'insufficient-space';
const active = new Set<Fault>();
const faultCounts: Record<string, number> = {};
async function fillDisk(dir: string): Promise<void> {
  const st = await fs.statfs(dir);
  const free = st.bavail * st.bsize;
  const fh = await fs.open(path.join(dir, '.filler'), 'a');
  const chunk = Buffer.alloc(1 << 20);
  try {
    for (let i = 0; i < Math.ceil(free / chunk.length) + 2; i++) await fh.write(chunk);
  } catch {
    /* ENOSPC: full */
  } finally {
    await fh.close();
  }
}
async function startFault(f: Fault): Promise<void> {
  faultCounts[f] = (faultCounts[f] ?? 0) + 1;
  active.add(f);
  switch (f) {
    case 'refused':
      await relayDown();
      break;
    case '429':
      await admin('fault', { kind: 'too_many_requests', times: 30, retryAfter: 1 });
      break;
    case '503':
      await admin('fault', { kind: 'server_error', status: 503, times: 20 });
      break;
    case 'reset-link':
      await admin('reset-link');
      active.delete(f);
      break;
    case 'drop-response':
      await admin('fault', {
        kind: 'drop_response',
        route: pick([
          'files/upload_session/finish_batch_v2',
          'files/upload_session/append_v2',
          'files/upload_session/start',
          'files/upload',
        ]),
        times: 2,
      });
      break;
    case 'insufficient-space':
      await admin('fault', { kind: 'insufficient_space', times: 3 });
      break;
    case 'card-full':
      await fillDisk(cardStore ?? transitDisk);
      break;
    case 'transit-full':
      await fillDisk(transitDisk);
      break;
    case 'card-unmount':
      if (cardStore) {
        spawnSync('umount', ['-l', archiveDir]);
        cardMounted = false;
        cardReadOnly = false; // the read-only mount went with it
      }
      break;
    case 'card-swap':
      // A person swaps the card (what a full card's advice says), perhaps mid-copy: the old one
      // keeps what it got (mounted at its own store, for the checks), the new one comes blank.
      active.delete(f);
      if (cardStore && cardMounted) {
        const next = path.join(root, `cardstore${oldCards.length + 1}`);
        await fs.mkdir(next);
        sh('mount', '-t', 'tmpfs', '-o', 'size=640m', 'tmpfs', next);
        spawnSync('umount', ['-l', archiveDir]);
        sh('mount', '--bind', next, archiveDir);
        oldCards.push(cardStore);
        cardStore = next;
        fillerDirs.push(next);
        cardReadOnly = false;
        break;
      }
      faultCounts[f]!--;
      faultCounts['card-swap (not applied)'] = (faultCounts['card-swap (not applied)'] ?? 0) + 1;
      break;
    case 'card-readonly':
      // Only the card's own mount (split): onecard's one disk holds the settings too. The kernel
      // may refuse (EBUSY) while the daemon writes a file there; a real card's errors do not
      // wait, but the next round's fault (daemon dead) gets through.
      if (cardReadOnly) break;
      if (cardStore && cardMounted) {
        const r = spawnSync('mount', ['-o', 'remount,bind,ro', archiveDir], { encoding: 'utf8' });
        if (r.status === 0) {
          cardReadOnly = true;
          break;
        }
      }
      // Not applied (onecard, the card away, or busy): not counted as made.
      active.delete(f);
      faultCounts[f]!--;
      faultCounts['card-readonly (not applied)'] =
        (faultCounts['card-readonly (not applied)'] ?? 0) + 1;
      break;
  }
}
async function clearFaults(): Promise<void> {
  await relayUp();
  await admin('clear-faults');
  for (const d of fillerDirs) await fs.rm(path.join(d, '.filler'), { force: true });
  if (cardReadOnly && cardMounted) {
    sh('mount', '-o', 'remount,bind,rw', archiveDir);
    cardReadOnly = false;
  }
  if (!cardMounted && cardStore) {
    const strays = await listRel(archiveDir);
    if (strays.length)
      defect(`written into the absent card's mount point: ${strays.slice(0, 5).join(', ')}`);
    sh('mount', '--bind', cardStore, archiveDir);
    cardMounted = true;
  }
  active.clear();
}

// ---------------------------------------------------------------------------------------------
// Status watch: "Up to date" while files wait is a defect.
async function statusProbe(c: ChildProcess): Promise<string | null> {
  const raw = await fs.readFile(path.join(configDir, 'status.json'), 'utf8').catch(() => null);
  if (!raw) return null;
  let s: PublishedStatus;
  try {
    s = JSON.parse(raw) as PublishedStatus;
  } catch {
    return null; // being replaced
  }
  if (s.pid !== c.pid) return null;
  return s.status?.sentence?.startsWith('Up to date') ? String(s.updatedAtMs) : null;
}

// ---------------------------------------------------------------------------------------------
const stats = {
  kills: 0,
  sigterms: 0,
  startKills: 0,
  failedStarts: 0,
  phases: {} as Record<string, number>,
  sigtermSlow: 0,
  maxJournal: 0,
  maxHistory: 0,
  maxTransitTmp: 0,
  targeted: {} as Record<string, number>,
  rewrites: 0,
  fullDiskRefusals: 0,
  transitEdits: 0,
  sigtermMs: [] as number[],
};
const TARGETS = [
  'journal.json.log',
  'journal.json.tmp',
  'history.jsonl',
  'history.jsonl.tmp',
  'card-tmp',
  'card',
  'transit-tmp',
  'transit-file',
  'watch-file',
  'alerts.jsonl',
];

/** What the daemon is doing at the kill, from the files it holds open (/proc/<pid>/fd). */
async function phaseOf(pid: number): Promise<string> {
  const fds = await fs.readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
  const kinds = new Set<string>();
  for (const fd of fds) {
    const t = await fs.readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    if (t.startsWith('socket:')) continue;
    if (t.includes('/logs/')) continue;
    if (t.startsWith(configDir)) kinds.add(path.basename(t).replace(/\.tmp.*$/, '.tmp'));
    else if (t.includes('.rdl-sync-tmp'))
      kinds.add(t.startsWith(transitDir) ? 'transit-tmp' : 'card-tmp');
    else if (
      t.startsWith(archiveDir) ||
      (cardStore && t.startsWith(cardStore)) ||
      oldCards.some((c) => t.startsWith(c))
    )
      kinds.add('card');
    else if (t.startsWith(transitDir)) kinds.add('transit-file');
    else if (t.startsWith(watchDir)) kinds.add('watch-file');
  }
  return kinds.size ? [...kinds].sort().join('+') : 'no-file-open';
}

async function sizes(): Promise<void> {
  const sz = async (p: string): Promise<number> =>
    (await fs.stat(p).catch(() => ({ size: 0 }))).size;
  const j =
    (await sz(path.join(configDir, 'journal.json'))) +
    (await sz(path.join(configDir, 'journal.json.log')));
  const h = await sz(path.join(configDir, 'history.jsonl'));
  const tmp = (await listRel(path.join(transitDir, '.rdl-sync-tmp'))).length;
  stats.maxJournal = Math.max(stats.maxJournal, j);
  stats.maxHistory = Math.max(stats.maxHistory, h);
  stats.maxTransitTmp = Math.max(stats.maxTransitTmp, tmp);
}

async function round(i: number): Promise<void> {
  // Faults: clear the old ones sometimes, start a new one sometimes.
  if (active.size > 0 && rnd() < 0.45) await clearFaults();
  if (rnd() < 0.35) {
    const f = pick<Fault>([
      'refused',
      '429',
      '503',
      'reset-link',
      'card-full',
      'card-unmount',
      'card-readonly',
      'card-swap',
      'transit-full',
      'drop-response',
      'insufficient-space',
    ]);
    await startFault(f);
  }
  const from = await logSize();
  const c = startDaemon();
  const early = rnd() < 0.12;
  if (early) {
    await sleep(50 + rnd() * 400);
    stats.startKills++;
  } else {
    if (!(await waitStarted(c, from))) {
      stats.failedStarts++;
      await exited(c, 10_000);
      if (/settings folder .* is full/.test(stderrTail)) {
        // The settings folder's disk is full (onecard): a clear refusal, expected.
        stats.fullDiskRefusals++;
        return;
      }
      defect(
        `round ${i}: daemon did not start (exit ${c.exitCode}/${c.signalCode}): ${stderrTail.slice(-1500)} log: ${(await logSince(from)).slice(-1500)}`,
      );
      if (alive(c)) c.kill('SIGKILL');
      await exited(c, 10_000);
      return;
    }
    // Half the rounds kill at a random delay; the other half the moment the daemon holds open
    // the kind of file a chosen phase writes (the n-th time), so every phase is hit, not only the
    // idle time between passes.
    const targeted = rnd() < 0.5;
    const target = pick(TARGETS);
    let nth = 1 + Math.floor(rnd() * 4);
    const delay = targeted
      ? 12_000
      : Math.exp(Math.log(50) + rnd() * (Math.log(7000) - Math.log(50)));
    const midFault = rnd() < 0.2;
    const end = Date.now() + delay;
    let faultAt = midFault ? Date.now() + rnd() * Math.min(delay, 4000) : Infinity;
    let upSince: string | null = null;
    let lastStatusLook = 0;
    let hit = false;
    while (Date.now() < end && alive(c)) {
      if (Date.now() >= faultAt) {
        faultAt = Infinity;
        await startFault(
          pick<Fault>([
            'refused',
            'card-unmount',
            'card-readonly',
            'card-swap',
            'card-full',
            'reset-link',
            'drop-response',
          ]),
        );
      }
      if (targeted) {
        const ph = await phaseOf(c.pid!);
        if (ph.split('+').includes(target) && --nth <= 0) {
          hit = true;
          break;
        }
      }
      if (Date.now() - lastStatusLook > 200) {
        lastStatusLook = Date.now();
        const u = await statusProbe(c);
        if (u && upSince && u !== upSince) {
          // Two different publications both "Up to date": transit must hold nothing staged before.
          const t = (await listRel(transitDir)).filter((r) => !r.startsWith('.rdl-sync-tmp/'));
          const old: string[] = [];
          for (const r of t) {
            const st = await fs.stat(path.join(transitDir, ...r.split('/'))).catch(() => null);
            if (st && st.ctimeMs < Number(upSince) - 3000) old.push(r);
          }
          if (old.length)
            defect(
              `round ${i}: status "Up to date" while ${old.length} staged before it wait in transit: ${old.slice(0, 3).join(', ')}`,
            );
        }
        if (u) upSince = u;
      }
      if (!targeted) await sleep(Math.min(20, Math.max(1, end - Date.now())));
    }
    if (targeted)
      stats.targeted[`${target}${hit ? '' : ' (missed)'}`] =
        (stats.targeted[`${target}${hit ? '' : ' (missed)'}`] ?? 0) + 1;
    if (!alive(c) && !/settings folder .* is full/.test(stderrTail))
      defect(`round ${i}: daemon exited by itself (${c.exitCode}): ${stderrTail.slice(-1500)}`);
  }
  const phase = early ? 'startup' : await phaseOf(c.pid!);
  stats.phases[phase] = (stats.phases[phase] ?? 0) + 1;
  if (!early && rnd() < 0.1) {
    stats.sigterms++;
    const t0 = Date.now();
    c.kill('SIGTERM');
    if (!(await exited(c, 15_000))) {
      defect(`round ${i}: SIGTERM ignored for 15 s`);
      c.kill('SIGKILL');
    } else if (Date.now() - t0 > 5000) stats.sigtermSlow++;
    stats.sigtermMs.push(Date.now() - t0);
    await exited(c, 10_000);
    // (A start refused for a full settings disk has exited 1 before the signal came.)
    if (c.exitCode !== 0 && c.exitCode !== null && !/settings folder .* is full/.test(stderrTail))
      defect(`round ${i}: SIGTERM exit code ${c.exitCode}: ${stderrTail.slice(-800)}`);
  } else {
    c.kill('SIGKILL');
    await exited(c, 10_000);
    stats.kills++;
  }
  if (/Error|error/.test(stderrTail)) log('stderr:', stderrTail.slice(-600));
  await sizes();
  const wasMounted = cardMounted;
  const r = await checkInvariants(`after round ${i} (${phase})`);
  if (args['edit-transit'] && rnd() < 0.25)
    await editInTransit().catch((e: Error) => log('edit', e.message));
  if (rnd() < 0.15) await rewriteSynced().catch((e: Error) => log('rewrite', e.message));
  log(
    `round ${i} ${early ? 'early' : ''} phase=${phase} faults=[${[...active].join(',')}] card=${wasMounted} watch=${r.pendingWatch} transit=${r.pendingTransit} done=${r.done} expected=${expected.size}`,
  );
}

async function drain(what: string): Promise<void> {
  await clearFaults();
  const from = await logSize();
  const c = startDaemon();
  if (!(await waitStarted(c, from))) defect(`${what}: daemon did not start: ${stderrTail}`);
  const end = Date.now() + 300_000;
  let ok = false;
  while (Date.now() < end) {
    const w = await listRel(watchDir);
    const t = (await listRel(transitDir)).filter((r) => !r.startsWith('.rdl-sync-tmp/'));
    if (w.length === 0 && t.length === 0) {
      ok = true;
      break;
    }
    await sleep(500);
  }
  if (!ok) defect(`${what}: did not drain in 300 s`);
  // Let a publication happen, then the status must say Up to date.
  await sleep(3500);
  const raw = JSON.parse(
    await fs.readFile(path.join(configDir, 'status.json'), 'utf8'),
  ) as PublishedStatus;
  const cliStatus = spawnSync(process.execPath, [cli, 'status', '--config-dir', configDir], {
    encoding: 'utf8',
    env: { ...process.env, HOME: root },
  });
  log(
    `${what}: status: ${raw.status.sentence} | cli: ${cliStatus.stdout.split('\n').slice(0, 3).join(' / ')}`,
  );
  // Sources that stopped (each odd-name round writes a new folder) are rightly reported silent.
  const others = (raw.status.problems as { id: string }[]).filter(
    (p) => !p.id.startsWith('source-silent:'),
  );
  const c0 = raw.status.counts;
  const idle = c0.waiting + c0.transit + c0.failed === 0;
  if (
    !idle ||
    others.length > 0 ||
    (raw.status.problems.length === 0 && !raw.status.sentence.startsWith('Up to date'))
  )
    defect(
      `${what}: drained but status says: ${raw.status.sentence} problems ${JSON.stringify(raw.status.problems).slice(0, 400)}`,
    );
  c.kill('SIGTERM');
  if (!(await exited(c, 15_000))) {
    defect(`${what}: SIGTERM ignored`);
    c.kill('SIGKILL');
    await exited(c, 5000);
  }
  await sizes();
  const r = await checkInvariants(what, true);
  if (HISTORY_LIMIT >= 100_000) {
    const history = await History.open(path.join(configDir, 'history.jsonl'), HISTORY_LIMIT);
    const done = new Map<string, number>();
    for (const h of history.query({ limit: 10_000_000 }))
      if (h.outcome === 'done') done.set(h.rel, (done.get(h.rel) ?? 0) + 1);
    await history.close();
    let bad = 0;
    for (const [rel, e] of expected) {
      const want = 1 + (e.older?.length ?? 0);
      const got = done.get(e.synced) ?? done.get(rel) ?? 0;
      const most = want + (e.edits ?? 0);
      if ((got < want || got > most) && bad++ < 10)
        defect(
          `${what}: ${rel} has ${got} done history records, want ${want === most ? want : `${want}-${most}`}`,
        );
    }
    if (bad > 10) defect(`${what}: ${bad} files with a wrong number of history records`);
  }
  log(`${what}: done=${r.done} bytesVerified=${r.bytesVerified}`, stats);
}

let exitCode = 0;
let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const)
  process.once(sig, () => {
    stopping = true;
    log(`${sig}: stopping after this round`);
  });
try {
  for (let i = 1; i <= ROUNDS && !stopping; i++) {
    await round(i);
    if (i % 50 === 0 && i < ROUNDS) {
      // A mid-session drain with loggers paused.
      loggersOn = false;
      await Promise.allSettled([...irOpen, ...ticking]);
      await rdlRotate();
      await drain(`drain at round ${i}`);
      loggersOn = true;
    }
  }
  loggersOn = false;
  await Promise.allSettled([...irOpen, ...ticking]);
  await rdlRotate();
  await drain('final drain');
} catch (e) {
  log('driver failure', e);
  exitCode = 2;
} finally {
  for (const t of loggerTimers) clearInterval(t);
  const last = daemon as ChildProcess | null;
  if (last && alive(last)) last.kill('SIGKILL');
  emuChild.kill('SIGINT');
  await relayDown();
  log(
    `SEED ${SEED} layout ${LAYOUT} files ${expected.size} bytes ${bytesWritten}`,
    stats,
    faultCounts,
  );
  log(`defects: ${defects.length}`);
  for (const d of defects.slice(0, 60)) log('  ', d);
  await exited(emuChild, 5000);
  if (!args.keep) {
    if (cardStore) spawnSync('umount', ['-l', archiveDir]);
    if (cardStore) spawnSync('umount', ['-l', cardStore]);
    for (const c of oldCards) spawnSync('umount', ['-l', c]);
    spawnSync('umount', ['-l', transitDisk]);
    await fs.rm(root, { recursive: true, force: true });
  } else log('kept', root);
  process.exit(defects.length ? 1 : exitCode);
}
