// One engine moves files for a configuration at a time: the tray app and the daemon (or a
// `rdl-sync once` next to a running daemon) would otherwise work the same transit folder twice.
//
// The lock is the file <configDir>/engine.lock naming its owner by pid + boot id + the process's
// start time (+ a random tag, so two engines in one process exclude each other too). A bare pid is
// not enough: after a reboot or a long uptime the pid comes back as some other process (even as
// this very daemon), and the old lock would then block syncing for ever. An owner that does not
// match on all three is gone, so the OS ending the process, or a reboot, ends the lock.
//
// Why a file and not flock(): Node has no flock/fcntl lock without a native addon. A Linux
// abstract unix socket would be ended by the kernel too, but it belongs to a network namespace
// (a service with PrivateNetwork= would not see the tray app's) and exists on Linux only.
//
// Race-freedom, with N processes starting together against a stale lock:
//  - A lock is only ever created whole: the owner record is written to a private temp file and
//    link()ed to engine.lock, which fails with EEXIST when a lock exists (no half-written lock).
//  - Each lock's contents are unique (the tag), so their hash names that lock's "generation".
//    To take over a stale generation G a process must first create engine.lock.claim-G with
//    O_EXCL: exactly one process can, for each G. The claimant checks engine.lock still holds G
//    and then rename()s its own record over it (atomic replace). Everybody else sees EEXIST on
//    the claim, re-reads the lock, finds a live owner and gives up.
//  - A claimant that dies between claim and replace leaves a claim naming a dead owner: the next
//    claim is then engine.lock.claim-G-<hash of that claim>, again exclusive, so the chain can
//    never block and never lets two through.
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SyncError } from './errors.js';
import { writeAccessFix } from './fsutil/write-access-fix.js';
import { LOCK_CLAIM_CHAIN, LOCK_TAKEOVER_ROUNDS } from './retry-policy.js';

export interface RunLock {
  release(): Promise<void>;
}

export const LOCK_FILE = 'engine.lock';

/**
 * Which kind of RDL Sync holds the lock, recorded so a process refused beside it can name it (a
 * tray app and the service on one hub, a `once` from cron beside either).
 */
export type LockRole = 'service' | 'daemon' | 'once' | 'tray-app';

const ROLE_WORDS: Record<LockRole, string> = {
  service: 'the rdl-sync service',
  daemon: 'an `rdl-sync run` daemon',
  // `rdl-sync sync` with no daemon runs its one pass as a `once` does.
  once: 'an `rdl-sync once` or `sync`',
  'tray-app': 'the RDL Sync tray app',
};

/** Who holds (or held) a lock. Boot id and start time are null where the OS does not tell. */
export interface LockOwner {
  pid: number;
  bootId: string | null;
  /** Field 22 of /proc/<pid>/stat: clock ticks after boot at which the process started. */
  startTime: string | null;
  tag: string;
  /** Absent in locks written before it was recorded, or by an engine that did not say. */
  role?: LockRole;
}

/** Whether a process with this pid exists (EPERM: it does, but belongs to another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

let bootIdCache: string | null | undefined;
/** This boot's id (Linux); null elsewhere. */
export function currentBootId(): string | null {
  if (bootIdCache === undefined) {
    try {
      bootIdCache = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || null;
    } catch {
      bootIdCache = null;
    }
  }
  return bootIdCache;
}

/** Fields 3 on of /proc/<pid>/stat (Linux), or null when it cannot be read. */
function procStatFields(pid: number): string[] | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) is in parentheses and may itself hold spaces or ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

function startTimeOf(fields: string[] | null): string | null {
  // fields[0] is field 3 (state), so field 22 is fields[19].
  const start = fields?.[19];
  return start && /^\d+$/.test(start) ? start : null;
}

/** The start time of process `pid` (Linux /proc), or null when it cannot be read. */
export function processStartTime(pid: number): string | null {
  return startTimeOf(procStatFields(pid));
}

function ownerRecord(tag: string, role?: LockRole): LockOwner {
  return {
    pid: process.pid,
    bootId: currentBootId(),
    startTime: processStartTime(process.pid),
    tag,
    ...(role ? { role } : {}),
  };
}

/**
 * A lock's contents: the owner record as JSON after its pid and a colon. The pid in front is for
 * the versions before the record (up to 2026-11-24), which read a lock as `pid:tag`: given the
 * bare JSON, they found no pid in it, took the live owner's lock for a dead one's, synced beside
 * it and deleted the lock when they ended. Versions since read this form as `pid:tag` too (a
 * live pid, by the lock's age), and this one reads the record after the colon.
 */
export function lockText(owner: LockOwner): string {
  return `${owner.pid}:${JSON.stringify(owner)}`;
}

/** Parses a lock's contents (lockText); also the bare JSON record, and the older `pid` and `pid:tag` forms. */
export function parseOwner(text: string): LockOwner | null {
  try {
    const record = /^\d+:(\{.*)$/s.exec(text)?.[1] ?? text;
    const o = JSON.parse(record) as Partial<LockOwner>;
    if (typeof o === 'object' && o !== null && Number.isInteger(o.pid) && (o.pid as number) > 0) {
      return {
        pid: o.pid as number,
        bootId: typeof o.bootId === 'string' ? o.bootId : null,
        startTime: typeof o.startTime === 'string' ? o.startTime : null,
        tag: typeof o.tag === 'string' ? o.tag : '',
        ...(typeof o.role === 'string' && Object.hasOwn(ROLE_WORDS, o.role)
          ? { role: o.role }
          : {}),
      };
    }
  } catch {
    // not JSON: maybe the older form
  }
  const m = /^(\d+)(?::(.*))?$/.exec(text.trim());
  if (!m) return null;
  return { pid: Number(m[1]), bootId: null, startTime: null, tag: m[2] ?? '' };
}

/**
 * Whether the process a lock names still runs: same pid, same boot, same start time. For the
 * older pid-only form, a process that started after the lock was written is a reused pid.
 */
export function ownerAlive(owner: LockOwner, lockWrittenMs?: number): boolean {
  if (!processAlive(owner.pid)) return false;
  const fields = procStatFields(owner.pid);
  // Exited and only waiting to be reaped (state Z or X): it still answers kill(pid, 0) with its
  // start time, but holds nothing. A daemon killed under a parent that reaps late (a wrapper
  // script, a container without an init) kept its successor out with "already syncing".
  if (fields?.[0] === 'Z' || fields?.[0] === 'X') return false;
  const boot = currentBootId();
  if (owner.bootId !== null && boot !== null && owner.bootId !== boot) return false;
  const start = startTimeOf(fields);
  if (owner.startTime !== null) return start === null || start === owner.startTime;
  if (lockWrittenMs !== undefined && start !== null) {
    const startedMs = processStartedAtMs(start);
    if (startedMs !== null && startedMs > lockWrittenMs + 1_000) return false;
  }
  return true;
}

/** Epoch ms of a /proc start time (boot time + ticks/100; USER_HZ is 100 on Linux). */
function processStartedAtMs(startTicks: string): number | null {
  try {
    const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
    if (!btime) return null;
    return Number(btime[1]) * 1000 + Number(startTicks) * 10;
  } catch {
    return null;
  }
}

function generationOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

async function readLock(file: string): Promise<{ text: string; mtimeMs: number } | null> {
  try {
    const [text, st] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
    return { text, mtimeMs: st.mtimeMs };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

function isLive(lock: { text: string; mtimeMs: number }): LockOwner | null {
  const owner = parseOwner(lock.text);
  return owner && ownerAlive(owner, lock.mtimeMs) ? owner : null;
}

/** The live owner of this configuration's lock, or null when nobody holds it. Reads only. */
export async function liveLockOwner(configDir: string): Promise<LockOwner | null> {
  const lock = await readLock(path.join(configDir, LOCK_FILE)).catch(() => null);
  return lock ? isLive(lock) : null;
}

/**
 * A service that waits for its settings (to be set up, or fixed) holds no lock: it syncs nothing.
 * `rdl-sync status` said "Daemon not running" over it, and a person may start a second one or
 * reboot. While it waits it leaves this record (the lock's owner record) beside the settings.
 */
export const WAITING_FILE = 'daemon-waiting.json';

/** Records that this process waits for its settings; the returned function removes the record. */
export async function markWaitingForSettings(
  configDir: string,
  role: LockRole,
): Promise<() => Promise<void>> {
  const file = path.join(configDir, WAITING_FILE);
  await fs.writeFile(file, lockText(ownerRecord('waiting for settings', role)), { mode: 0o600 });
  return () => fs.rm(file, { force: true });
}

/** The live process that waits for this configuration's settings, or null. Reads only. */
export async function liveWaitingDaemon(configDir: string): Promise<LockOwner | null> {
  const lock = await readLock(path.join(configDir, WAITING_FILE)).catch(() => null);
  return lock ? isLive(lock) : null;
}

/** "pid 123, the RDL Sync tray app" (the kind only when the lock names it). */
export function describeLockOwner(owner: LockOwner): string {
  return owner.role ? `pid ${owner.pid}, ${ROLE_WORDS[owner.role]}` : `pid ${owner.pid}`;
}

/** How to end the process that holds the lock, when its kind is known. */
function howToStop(owner: LockOwner): string {
  switch (owner.role) {
    case 'service':
      return 'sudo systemctl stop rdl-sync';
    case 'daemon':
      return `kill ${owner.pid}: it stops safely`;
    case 'once':
      return 'it ends by itself after its pass';
    case 'tray-app':
      return 'its tray menu: Quit RDL Sync';
    default:
      return 'tray: Quit; service: systemctl stop rdl-sync';
  }
}

/**
 * A refusal, not a failure: the other RDL Sync syncs on. Its own code, so that no front end takes
 * it for a stop (the refused daemon used to alert "RDL Sync stopped on an error … nothing syncs").
 */
function busy(owner: LockOwner, configDir: string): SyncError {
  const which = owner.role ? ` (it is ${ROLE_WORDS[owner.role]})` : '';
  return new SyncError({
    kind: 'blocked',
    code: 'already-running',
    message: `Another RDL Sync (pid ${owner.pid}) is already syncing with the settings in ${configDir}${which}: nothing is wrong, it syncs on. To sync here instead, stop it first (${howToStop(owner)}); or use rdl-sync sync / status / pause / resume, which work beside it`,
  });
}

/**
 * Writes an owner record to a private temporary. A failed write leaves no temporary behind (a
 * service restarted every minute on a full disk would leave one each time), and a full disk is
 * said in words: the settings folder usually sits on the loggers' disk, full being the hubs' most
 * common fault, and a bare "ENOSPC ... write" named neither the disk nor the fix.
 */
async function writeRecord(tmp: string, data: string, configDir: string): Promise<void> {
  try {
    await fs.writeFile(tmp, data, { mode: 0o600 });
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => {});
    const code = (e as NodeJS.ErrnoException).code;
    const why = cannotWrite(configDir, code);
    if (!why) throw e;
    throw new SyncError({
      kind: 'blocked',
      code: 'settings-unwritable',
      message: `Cannot start: ${why}; nothing is lost, the files wait in the watch and transit folders`,
      cause: e,
    });
  }
}

/** Said to a process that gives up on a full settings disk (see withoutStartAgain). */
const START_AGAIN = ', then start RDL Sync again';

/**
 * A "cannot start" message for a process that tries again by itself (the service under systemd):
 * telling people to start it again sent them to the hub for nothing, next to "no restart needed".
 */
export function withoutStartAgain(message: string): string {
  return message.replace(START_AGAIN, '');
}

/** Why the settings folder cannot be written, in words with the fix; null for other errors. */
export function cannotWrite(configDir: string, code: string | undefined): string | null {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `the disk holding the settings folder ${configDir} is full (${code}): free space on it${START_AGAIN}`;
    case 'EROFS':
      return `the settings folder ${configDir} cannot be written (EROFS): its disk was made read-only, which Linux does to a disk that shows errors: check the disk (\`sudo dmesg\`), repair it (fsck) and reboot, or replace it`;
    case 'EACCES':
    case 'EPERM': {
      const user = os.userInfo().username;
      return `the settings folder ${configDir} cannot be written by user ${user} (${code}): ${writeAccessFix(configDir, user)}`;
    }
    case 'EIO':
      return `the settings folder ${configDir} cannot be written (EIO: the disk reports input/output errors): check the disk (\`sudo dmesg\`) and replace it if it is failing`;
    default:
      return null;
  }
}

/** Creates `target` holding `data`, whole or not at all: a reader never sees it half written. */
async function tryCreate(target: string, data: string): Promise<boolean> {
  const tmp = path.join(path.dirname(target), `${LOCK_FILE}.${randomUUID()}.tmp`);
  await writeRecord(tmp, data, path.dirname(target));
  try {
    return await linkNew(tmp, target);
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

async function linkNew(tmp: string, file: string): Promise<boolean> {
  try {
    await fs.link(tmp, file);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw e;
  }
}

/**
 * Takes the lock, or throws naming the live owner. Never waits: the other engine may run for
 * months. A stale lock (dead owner, reused pid, other boot) is taken over race-free.
 */
export async function acquireRunLock(configDir: string, role?: LockRole): Promise<RunLock> {
  const got = await tryLockFile(configDir, LOCK_FILE, role);
  if ('owner' in got) throw busy(got.owner, configDir);
  return got.lock;
}

/**
 * Takes the lock file `name` in `configDir` by the same rules as the run lock (a dead holder's
 * lock is taken over race-free), or returns the live process holding it. Never waits.
 */
export async function tryLockFile(
  configDir: string,
  name: string,
  role?: LockRole,
): Promise<{ lock: RunLock } | { owner: LockOwner }> {
  const file = path.join(configDir, name);
  const mine = lockText(ownerRecord(randomUUID(), role));
  const tmp = path.join(configDir, `${LOCK_FILE}.${randomUUID()}.tmp`);
  await writeRecord(tmp, mine, configDir);
  try {
    // Bounded: each round either wins, meets a live owner, or sees a generation end.
    for (let round = 0; round < LOCK_TAKEOVER_ROUNDS; round++) {
      if (await linkNew(tmp, file)) return { lock: heldLock(file, mine) };
      const current = await readLock(file);
      if (current === null) continue; // released between our link and our read
      const owner = isLive(current);
      if (owner) return { owner };
      if (await takeOver(file, current.text, tmp)) {
        return { lock: heldLock(file, mine) };
      }
    }
    throw new SyncError({
      kind: 'blocked',
      code: 'unknown',
      message: `Could not take the lock ${file}: it keeps changing hands; try again`,
    });
  } finally {
    await fs.rm(tmp, { force: true });
  }
}

/** Replaces the stale lock `staleText` by ours if this process wins its claim. */
async function takeOver(file: string, staleText: string, tmp: string): Promise<boolean> {
  const generation = generationOf(staleText);
  const claimRecord = lockText(ownerRecord(randomUUID()));
  let claim = `${file}.claim-${generation}`;
  for (let depth = 0; depth < LOCK_CLAIM_CHAIN; depth++) {
    if (await tryCreate(claim, claimRecord)) break;
    const other = await readLock(claim);
    if (other === null) return false; // cleaned up by a winner: look at the lock again
    if (isLive(other)) return false; // someone else is taking over; re-read shows them
    // The claimant died before finishing: the next claim in its chain is again exclusive.
    claim = `${claim}-${generationOf(other.text).slice(0, 8)}`;
    if (depth === LOCK_CLAIM_CHAIN - 1) return false;
  }
  // We hold the only claim for this generation; nobody else can replace the stale lock now.
  const still = await readLock(file);
  if (still === null || still.text !== staleText) {
    await fs.rm(claim, { force: true });
    return false;
  }
  // A hard link of our record, renamed over the stale lock: atomic, and `tmp` stays ours.
  const staged = `${tmp}.takeover`;
  await fs.link(tmp, staged);
  await fs.rename(staged, file);
  await removeClaims(file, generation);
  return true;
}

async function removeClaims(file: string, generation: string): Promise<void> {
  const prefix = `${path.basename(file)}.claim-${generation}`;
  const dir = path.dirname(file);
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    if (name.startsWith(prefix)) await fs.rm(path.join(dir, name), { force: true });
  }
}

function heldLock(file: string, mine: string): RunLock {
  return {
    async release() {
      // Only our own lock; nobody takes over a live owner's, so it cannot change under us.
      if ((await fs.readFile(file, 'utf8').catch(() => '')) !== mine) return;
      // One that cannot be removed (the settings disk gone read-only, or gone) is left: its owner
      // ends with this process, and the next start takes a dead owner's lock over. Thrown, it
      // failed the stop of a daemon told to stop on such a disk.
      await fs.rm(file, { force: true }).catch(() => undefined);
    },
  };
}
