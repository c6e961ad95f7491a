// The crash test's invariant (crash.test.ts) under power cuts instead of SIGKILLs: the daemon
// works on a real ext4 "SD card" holding everything, as on a Pi (settings, journal, history, the
// watch and transit folders and the archive); at a random moment with work in flight the power
// goes (power-cut.ts: the process frozen with no call in flight, the disk taken as it is, the
// page cache dropped) and the hub boots from what the card held. At the end every file is on
// Dropbox and on the card exactly once with its bytes, with exactly one history record.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { localHash, testSettings, writeConfig } from '../engine/harness.js';
import {
  assertClean,
  killHard,
  Scenario,
  seededRandom,
  sleep,
  summary,
  waitUntil,
} from './crash-harness.js';
import { canMountExt4, mountPowerCutDisk } from './power-cut.js';

/** Every thread of the process is stopped (a call in flight finishes before its thread stops). */
function frozen(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).every((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return /^\S+ \(.*\) [tT] /.test(stat);
    });
  } catch {
    return false;
  }
}

interface TortureOptions {
  /** Whether the loggers' files are on the card before the daemon sees them (real loggers: no). */
  loggersSync: boolean;
}

async function torture(t: TestContext, { loggersSync }: TortureOptions): Promise<void> {
  if (!(await canMountExt4())) return t.skip('needs root and loop-mounted ext4');
  const seed = Number(process.env.CRASH_SEED ?? Date.now() % 100_000);
  const disk = await mountPowerCutDisk(192);
  const emulator = await startEmulator({});
  const root = disk.dir;
  const dirs = {
    root,
    configDir: path.join(root, 'config'),
    watchDir: path.join(root, 'tosync'),
    transitDir: path.join(root, 'transit'),
    archiveDir: path.join(root, 'sdcard'),
  };
  const s = new Scenario(dirs, emulator, seededRandom(seed));
  const syncCard = (): void => {
    const r = spawnSync('sync', ['-f', root]);
    assert.equal(r.status, 0, 'sync -f');
  };
  const remoteHash = (rel: string): string | undefined =>
    emulator.getFile(`/RDL/site1/${rel}`)?.contentHash;
  /** Files Dropbox held whole at a cut: they must end whole on Dropbox and on the card. */
  const heldWhole = new Set<string>();
  let lostByLoggers = 0;
  const started = performance.now();
  try {
    await fs.mkdir(dirs.watchDir);
    await fs.mkdir(dirs.archiveDir);
    await writeConfig(
      dirs.configDir,
      testSettings(dirs, emulator, { concurrency: 4, chunkSizeMiB: 4 }),
      emulator,
    );
    for (let i = 0; i < 80; i++) {
      await s.write(
        `RDL/USB${i % 3}/2026-11-${String(i % 28).padStart(2, '0')}-${i}.txt`,
        randomBytes(1 + Math.floor(s.random() * 20_000)),
      );
    }
    await s.write('cameras/burst-0.raw', randomBytes(9 * 1024 * 1024));
    syncCard(); // the hub as installed: settings and the first files on the card

    const CUTS = 8;
    let cutsInFlight = 0;
    for (let k = 0; k < CUTS; k++) {
      for (let i = 0; i < 10; i++)
        await s.write(
          `RDL/round-${k}/rec-${i}.txt`,
          randomBytes(200 + Math.floor(s.random() * 30_000)),
        );
      if (k % 3 === 0) await s.write(`cameras/round-${k}.raw`, randomBytes(5 * 1024 * 1024 + k));
      if (loggersSync) syncCard();
      const child: ChildProcess = s.startDaemon();
      await s.started(child);
      await waitUntil(
        `daemon ${child.pid} to have work in flight`,
        () => s.inFlight(child),
        30_000,
      );
      await sleep(s.random() * 400);
      if (await s.inFlight(child)) cutsInFlight++;
      child.kill('SIGSTOP');
      await waitUntil(`daemon ${child.pid} to freeze`, async () => frozen(child.pid!), 10_000, 5);
      for (const [rel, hash] of s.expected) if (remoteHash(rel) === hash) heldWhole.add(rel);
      await disk.cutAndReboot(() => killHard(child));
      // A logger's file still in the watch folder lost what the logger never synced: that loss
      // is the logger's; from here on its bytes are what the card holds.
      // One the loggers never synced may be gone altogether (its name never reached the card),
      // as RDL Sync removes a file only once Dropbox holds it whole (then it is in heldWhole).
      for (const rel of [...s.expected.keys()]) {
        if (heldWhole.has(rel)) continue;
        const hashOf = (dir: string): Promise<string | undefined> =>
          localHash(path.join(dir, ...rel.split('/'))).catch(() => undefined);
        const there = await hashOf(dirs.watchDir);
        if (there !== undefined && there !== s.expected.get(rel)) {
          s.expected.set(rel, there);
          lostByLoggers++;
        } else if (
          there === undefined &&
          (await hashOf(dirs.transitDir)) === undefined &&
          (await hashOf(dirs.archiveDir)) === undefined
        ) {
          s.expected.delete(rel);
          lostByLoggers++;
        }
      }
    }
    await s.drainAndStop(() => s.queueEmpty());
    const audit = await s.audit();
    console.log(
      `power-cut test (loggers ${loggersSync ? 'sync' : 'never sync'}): cuts ${CUTS} (${cutsInFlight} with work still in flight at the cut), files ${s.expected.size}, whole on Dropbox at a cut ${heldWhole.size}, cut short in the watch folder before staging (the loggers' loss) ${lostByLoggers}, ${summary(audit)}`,
    );
    assertClean(audit);
  } finally {
    console.log(
      `power-cut test (seed ${seed}): ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    await s.cleanup();
    await emulator.close();
    await disk.cleanup();
  }
}

test(
  'power cuts at random moments with work in flight lose nothing, duplicate nothing, keep one history record per file',
  { timeout: 300_000 },
  (t) => torture(t, { loggersSync: true }),
);

test(
  'power cuts with loggers that never fsync: nothing RDL Sync took is lost; what Dropbox held whole stays whole there and reaches the card',
  { timeout: 300_000 },
  (t) => torture(t, { loggersSync: false }),
);
