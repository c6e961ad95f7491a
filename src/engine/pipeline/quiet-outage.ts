// A long outage of the network leg (Dropbox unreachable for days or weeks, the SD card working):
// every file in transit waits for Dropbox alone, and each pass's walk of transit (an lstat and a
// journal look-up per file, then settling each as still waiting) found nothing to do. With 20,000
// files queued that was 0.7-1.3 s of CPU a pass on a desktop, several times that on a Pi, every
// interval for as long as the outage lasted. So once a complete walk has found that, a pass
// stages and archives the new files as ever, tries Dropbox with the first file it has (a new one,
// or the first few met in transit), and while Dropbox is still out it leaves the rest of transit
// unwalked: the queue's counts carry over from the walk, plus what this pass added. When Dropbox
// answers, the pass walks on and the whole queue goes, as before. A complete walk is still made
// every FULL_WALK_EVERY_MS, so a file a person put into transit by hand, or changed there, is
// archived within that time; files arriving in the watch folder are archived in the pass that
// finds them.
import type { SyncError } from '../errors.js';
import { LEGS, type LegId } from '../legs/ids.js';
import { SERVER_TROUBLE_FILES } from '../legs/dropbox-leg.js';
import type { PassDeps } from './deps.js';

/**
 * Files Dropbox is tried with before a pass waits for its word: the leg holds server errors back
 * until this many files had them (then asks the account), so with fewer it would wait for more.
 */
export const FILES_TO_TELL_AN_OUTAGE = SERVER_TROUBLE_FILES;

/** A complete walk of transit at least this often, even while the outage goes on. */
export const FULL_WALK_EVERY_MS = 30 * 60_000;

/** The queue as the last pass left it, when only the network leg's outage held it. */
export interface QuietOutage {
  /** The deps of the pass that found it: a rebuild (other settings, legs or folders) walks again. */
  deps: PassDeps;
  /** When the last complete walk of transit ended (by the engine's clock). */
  walkedAtMs: number;
  transit: number;
  /** Of those, files failing (a failure of their own from before the outage). */
  failed: number;
  bytes: number;
}

/** Dropbox cannot be reached, or answers only with server errors or "slow down": the status's offline. */
export function isOutage(error: SyncError | null | undefined): boolean {
  return (
    error !== null &&
    error !== undefined &&
    (error.kind === 'retry' || error.kind === 'retry-after' || error.code === 'offline')
  );
}

/** The network leg of these deps (Dropbox), if it is enabled. */
export function networkLegOf(deps: PassDeps): LegId | null {
  return deps.legs.find((leg) => LEGS[leg.id].network)?.id ?? null;
}

/**
 * Whether this pass may leave transit unwalked while the outage lasts: the last pass found every
 * file in transit owed to the network leg alone, with these deps, and a complete walk is recent.
 */
export function mayLeaveTransitUnwalked(
  quiet: QuietOutage | null,
  deps: PassDeps,
  nowMs: number,
): quiet is QuietOutage {
  if (!quiet || quiet.deps !== deps) return false;
  const since = nowMs - quiet.walkedAtMs;
  // (A clock stepped back reads as a walk in the future: walk again.)
  return since >= 0 && since < FULL_WALK_EVERY_MS;
}

/**
 * What the next pass may carry over after this one: the queue, if only the network leg's outage
 * held it (every file owed to it, none to another leg), else nothing.
 */
export function quietOutageAfter(
  deps: PassDeps,
  blocked: ReadonlyMap<LegId, SyncError | null>,
  counts: { transit: number; pending: Partial<Record<LegId, number>>; failed: number },
  bytes: number,
  walkedAtMs: number,
): QuietOutage | null {
  const network = networkLegOf(deps);
  if (network === null || !isOutage(blocked.get(network))) return null;
  for (const leg of deps.legs) {
    const owed = counts.pending[leg.id] ?? 0;
    if (leg.id === network ? owed !== counts.transit : owed !== 0) return null;
  }
  return { deps, walkedAtMs, transit: counts.transit, failed: counts.failed, bytes };
}
