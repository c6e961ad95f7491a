import {
  archiveTitle,
  ENTRY_PROBLEM_PREFIX,
  FILE_FAILING_PREFIX,
  formatBytes,
  formatDuration,
  heldResolvedSentence,
  printable,
  sentenceAsText,
  SETTINGS_INVALID_ID,
  TRY_AGAIN_NOW,
  TRY_AGAIN_WHEN_NOTHING_RUNS,
  triedAgainWhenAsked,
  type LockRole,
  type StatusSnapshot,
} from '../engine/index.js';
import { formatTime } from './duration.js';

/**
 * Human form of the status model, the same facts the tray and window show. Each line is one line:
 * file and folder names in it (chosen by whoever writes the watch folder) have their control
 * characters escaped (engine/log/printable.ts).
 */
export function printStatus(
  s: StatusSnapshot,
  write: (text: string) => void,
  how: {
    /**
     * Set when nothing syncs now (no daemon): the status is read from the settings, the saved
     * connection and the folders, and Dropbox was not asked. `lastContactMs`: when the last
     * process that synced reached it. Without these words a saved account read "connected" on a
     * hub that could not reach Dropbox at all.
     */
    offline?: { lastContactMs: number | null };
    /** Whether a process that syncs runs on after now (not a `once`), to make the next try; by
     * default, when something syncs now. */
    runsOn?: boolean;
  } = {},
): void {
  const { offline } = how;
  const runsOn = how.runsOn ?? offline === undefined;
  const line = (text: string): void => write(printable(text));
  line(`State: ${s.state}. ${offline ? notRunningSentence(s) : sentenceAsText(s)}`);
  const isCard = s.archive.card ?? true;
  const archive = archiveTitle(isCard);
  // Settings that cannot be used at all (not JSON, refused): the folders, the archive and the
  // account they name are not known, and the defaults' "0 waiting, no archive folder set yet,
  // Dropbox not connected" was shown as the hub's (found by an operator trial).
  const unknown = s.problems.some(
    (p) => p.id === SETTINGS_INVALID_ID && p.code === 'settings-invalid',
  );
  if (unknown)
    line(
      'Files waiting, the archive and Dropbox: not known while the settings cannot be used (they name the folders and the account).',
    );
  else line(countsLine(s, offline !== undefined));
  const unnamed = unnamedFailure(s, runsOn);
  if (unnamed) line(unnamed);
  line(
    `Last file synced: ${formatTime(s.lastSuccessMs)}   Last pass: ${formatTime(s.lastPassMs)}   Next pass: ${nextPassWords(s, offline !== undefined, runsOn)}`,
  );
  if (unknown) return problemLines(s, line, runsOn);
  // No archive folder yet (a new install): nothing can be "not present".
  if (s.archive.enabled && s.archive.path === '') line(`${archive}: no archive folder set yet`);
  else if (s.archive.enabled) line(`${archive}: ${s.archive.path} — ${archivePresence(s)}`);
  else line(`${archive}: turned off`);
  const d = s.dropbox;
  line(
    d.connected
      ? `Dropbox: ${d.accountName ?? 'connected'}${d.email ? ` <${d.email}>` : ''}${d.usedBytes !== null ? `, ${formatBytes(d.usedBytes)} used of ${formatBytes(d.allocatedBytes)}` : ''}${dropboxHeld(s)}`
      : 'Dropbox: not connected',
  );
  if (d.connected && offline)
    line(
      `  (not checked now: nothing syncs. Last reached: ${formatTime(offline.lastContactMs)}. rdl-sync doctor checks the connection)`,
    );
  for (const disk of s.disks ?? [])
    line(
      `Disk (${disk.roles.join(', ')}): ${disk.path} — ${disk.usedPercent} % used, ${formatBytes(disk.freeBytes)} free of ${formatBytes(disk.totalBytes)}${disk.transitBytes ? `, ${formatBytes(disk.transitBytes)} waiting in transit` : ''}`,
    );
  for (const src of s.sources ?? [])
    line(
      `Source ${src.source}: last file ${formatTime(src.lastFileMs)}, usual interval ${src.usualIntervalMs === null ? 'still learning' : formatDuration(src.usualIntervalMs)}${src.silent ? ' — SILENT' : ''}`,
    );
  for (const t of s.transfers)
    line(
      `  ${t.leg === 'upload' ? '↑' : '→'} ${t.rel} ${formatBytes(t.bytesDone)}/${formatBytes(t.size)} at ${formatBytes(t.rate)}/s`,
    );
  problemLines(s, line, runsOn);
}

/**
 * Whether the archive is there and can be written, in the window's words (status-view.ts): a
 * read-only card read "present, 34 MB free" here while the window said "Present but read-only".
 */
function archivePresence(s: StatusSnapshot): string {
  const a = s.archive;
  if (!a.present) return a.notAnswering ? 'NOT ANSWERING' : 'NOT PRESENT';
  const space = `${formatBytes(a.freeBytes)} free of ${formatBytes(a.totalBytes)}`;
  // Full is writable, yet nothing more is archived: "present, 2 MB free" read as fine.
  if (a.writable && s.problems.some((p) => p.code === 'archive-full'))
    return `present but full: files wait in transit, ${space}`;
  if (a.writable) return `present, ${space}`;
  // The fix (a write-protect switch, a remount, the owner's permission) is in the problem's words.
  const told = s.problems.some((p) => p.code === 'archive-readonly');
  return `present but read-only${told ? ' (the problem below says what to do)' : ''}, ${space}`;
}

/**
 * What a pass asked for by `rdl-sync sync` left, from the running process's status: the state,
 * the queue and the problems, without the rest of `rdl-sync status` (disks, sources, account).
 */
export function printPassOutcome(s: StatusSnapshot, write: (text: string) => void): void {
  const line = (text: string): void => write(printable(text));
  line(`State: ${s.state}. ${sentenceAsText(s)}`);
  line(countsLine(s));
  problemLines(s, line, true);
}

/**
 * When the next pass runs. A paused engine keeps its schedule armed but skips each pass, so its
 * time read as a promise the pause breaks; with nothing running there is no next pass at all.
 */
function nextPassWords(s: StatusSnapshot, nothingRuns: boolean, runsOn: boolean): string {
  if (s.passRunning) return 'running now';
  if (nothingRuns) return 'none (nothing runs)';
  // A `once` between its passes (waiting for a file to settle): it ends by itself.
  if (!runsOn) return 'none after this command (it ends by itself)';
  if (s.paused)
    return `none while paused (${s.pausedUntilMs === null ? 'until someone resumes it' : `until ${formatTime(s.pausedUntilMs)}`})`;
  return formatTime(s.nextPassMs);
}

/**
 * The file failing now, when nothing else names it: below the failing threshold it is named only
 * by the "idle" sentence, and with another problem heading the status, "Failing: 2" named
 * neither file nor why.
 */
function unnamedFailure(s: StatusSnapshot, runsOn: boolean): string | null {
  const f = s.failing;
  if (!f || s.counts.failed === 0) return null;
  if (sentenceAsText(s).includes(f.rel)) return null;
  if (s.problems.some((p) => p.id === `${FILE_FAILING_PREFIX}${f.rel}`)) return null;
  const more = s.counts.failed > 1 ? ` (and ${s.counts.failed - 1} more)` : '';
  return `  Failing now: ${f.rel}${more}: ${f.message.replace(/[.\s]+$/, '')}. ${runsOn ? TRY_AGAIN_NOW : TRY_AGAIN_WHEN_NOTHING_RUNS}`;
}

function countsLine(s: StatusSnapshot, nothingRuns = false): string {
  const c = s.counts;
  const isCard = s.archive.card ?? true;
  // Failing on a line of its own: it counts files failing in the watch folder too, and inside
  // "In transit (…)" it read as a part of the files there ("In transit: 0 (…, failing 1)").
  // Files in a folder nobody can read are in no count: say so where the count is read. With
  // nothing running there is no run whose done files to count ("Done this run: 0" read as news).
  const unread = s.problems.some((p) => p.id.startsWith(ENTRY_PROBLEM_PREFIX))
    ? ' + what cannot be read (below)'
    : '';
  return `Waiting in watch folder: ${c.waiting}${unread}   In transit: ${c.transit} (upload pending ${c.uploadPending}, ${isCard ? 'SD card' : 'archive'} pending ${c.archivePending})   Failing: ${c.failed}${nothingRuns ? '' : `   Done this run: ${c.doneThisRun}`}`;
}

function problemLines(s: StatusSnapshot, line: (text: string) => void, runsOn: boolean): void {
  for (const p of s.problems) line(`! ${p.message}`);
  if (s.problems.some((p) => triedAgainWhenAsked(p.id, p.code)))
    line(`  ${runsOn ? TRY_AGAIN_NOW : TRY_AGAIN_WHEN_NOTHING_RUNS}`);
  // Healthy now, but the people alerted were not yet told so: the repeat guard holds "Resolved"
  // for a condition that came and went (alertFlapMinutes). Before, nothing showed it was owed.
  for (const h of s.resolvedHeld ?? []) line(heldResolvedSentence(h, formatTime));
}

/**
 * The status sentence when nothing runs: "the next pass will move them" promised a pass no process
 * would run (the service stopped, a `once` ended), on the line a person reads to learn whether
 * anything is being done.
 */
function notRunningSentence(s: StatusSnapshot): string {
  const pending = s.counts.transit + s.counts.waiting;
  if (s.state !== 'idle' || s.counts.failed > 0 || pending === 0) return sentenceAsText(s);
  const them = pending === 1 ? '1 file waits' : `${pending} files wait`;
  return `${them} safely; nothing moves ${pending === 1 ? 'it' : 'them'} until RDL Sync runs (on a desktop: start the RDL Sync app; on a hub: sudo systemctl start rdl-sync; now, once: rdl-sync once).`;
}

/**
 * Which RDL Sync publishes the status shown: the tray app syncs as the daemon does, and a hub
 * may have both installed ("Daemon running" while it was the tray app sent people to systemctl).
 */
export function whoSyncs(owner: { pid: number; role?: LockRole }): string {
  switch (owner.role) {
    case 'tray-app':
      return `The RDL Sync tray app is syncing (pid ${owner.pid}).`;
    case 'once':
      return `An \`rdl-sync once\` or \`sync\` is running its one pass (pid ${owner.pid}); it ends by itself.`;
    case 'service':
      return `Daemon running (pid ${owner.pid}, the rdl-sync service).`;
    default:
      return `Daemon running (pid ${owner.pid}).`;
  }
}

/**
 * Why the account shown is not reached now, beside it: the account line read as all well under
 * "Uploads cannot reach Dropbox: the proxy …" and "The connection to Dropbox is not trusted".
 */
function dropboxHeld(s: StatusSnapshot): string {
  const has = (code: string): boolean => s.problems.some((p) => p.code === code);
  if (has('clock-not-set')) return ' — uploads wait for the clock to be set';
  if (has('proxy-refused')) return ' — not reached now: the proxy does not let the uploads through';
  if (has('connection-untrusted')) return ' — not reached now: the connection is not trusted';
  if (s.offlineCause) return ' — out of reach now';
  return '';
}
