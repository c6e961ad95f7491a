// The words of a "resolved" alert. It quoted the problem's last sentence as "No longer a problem:
// “12 files have failed … for 3 h”": figures and a fix that read as current, in a message meant
// to say that all is well. Now it names what the problem was, when it began and how long it
// lasted, then quotes its last words as past ("It last read: …"), so a person far away knows which
// problem is over without mistaking the old counts for today's.
import { formatDuration } from '../format-duration.js';
import { formatUtcMinute } from '../format-utc.js';
import { FILES_FAILING_PREFIX } from '../pipeline/problems.js';
import { namedFiles } from './file-groups.js';
import type { Alert } from './types.js';

/** What each kind of problem was, in a few words (the condition's code). */
const TITLES: Partial<Record<Alert['code'], string>> = {
  offline: 'Dropbox out of reach',
  'auth-revoked': 'Dropbox access revoked',
  'auth-missing': 'Dropbox not connected',
  'quota-full': 'Dropbox full',
  'site-shared': 'two hubs sharing the site name',
  'remote-encrypted': 'the remote folder end-to-end encrypted',
  'proxy-refused': 'the proxy refusing',
  'connection-untrusted': 'the connection to Dropbox not trusted',
  'clock-not-set': 'the clock not set',
  // Not "folder": most archives are an SD card, and the quote that follows names which. Nor
  // "missing": the problem is also a card in its reader that does not answer (hands-on trial).
  'archive-missing': 'the archive out of reach',
  'archive-full': 'the archive disk full',
  'archive-readonly': 'the archive disk read-only',
  'settings-invalid': 'settings not valid',
  'settings-unwritable': 'the settings folder not writable',
  'setup-needed': 'setup not done',
  'watch-unavailable': 'the watch folder unavailable',
  // Also a transit disk without room for a file (the same condition): "not writable" alone sent
  // a person with a full disk to look at permissions (hands-on trial).
  'transit-unwritable': 'the transit folder full or not writable',
  'transit-missing': 'the transit folder out of reach',
  'unreadable-entry': 'part of a folder unreadable',
  'pass-failed': 'sync passes failing on an unexpected error',
  'disk-nearly-full': 'a disk nearly full',
  'source-silent': 'a logger gone silent',
  'site-placeholder': 'the site name still a placeholder',
  'paused-long': 'syncing paused for more than a day',
  'alert-channel-failing': 'alerts not getting through',
  'daemon-stopped': 'RDL Sync stopped on an error',
};

/** The problem an alert is about, in a few words: "Dropbox out of reach". */
export function problemTitle(alert: Pick<Alert, 'code' | 'conditionId'>): string {
  // Files are grouped by the failure's code (file-groups.ts), which is no problem kind of its own.
  if (alert.conditionId.startsWith(FILES_FAILING_PREFIX))
    return `files failing to sync (${alert.code})`;
  return TITLES[alert.code] ?? alert.conditionId;
}

/**
 * "Resolved: Dropbox out of reach, which began 2026-12-03 11:02 UTC and lasted 3 h. It last read:
 * “…”."
 * `lastWords`: the problem's sentence as it last stood; `files`: every file a group of failing
 * files had while it lasted; `wentMs`: when a condition that came and went went for the last
 * time (its "Resolved" was held back to see it stay away).
 */
export function resolvedSentence(
  alert: Pick<Alert, 'code' | 'conditionId' | 'sinceMs'>,
  lastWords: string,
  nowMs: number,
  { files = [], wentMs }: { files?: readonly string[]; wentMs?: number } = {},
): string {
  const title = problemTitle(alert);
  // "Since" and "for" read as still going on: the span is told in the past. A condition that came
  // and went is told until it went, not until this message (held back meanwhile).
  const began = formatUtcMinute(alert.sinceMs);
  const span =
    wentMs === undefined
      ? `began ${began} and lasted ${formatDuration(nowMs - alert.sinceMs)}`
      : `began ${began} and came and went until ${formatUtcMinute(wentMs)} (${formatDuration(wentMs - alert.sinceMs)})`;
  const quote = lastWords.replace(/[.\s]+$/, '');
  // A group that shrank before it cleared last read as its last file alone: the others it was
  // about, told in its raise, went unmentioned.
  const all =
    files.length > 1
      ? `: none of its ${files.length} files fails this way now (${namedFiles(files)})`
      : '';
  return `Resolved: ${title}, which ${span}${all}. It last read: “${quote}”.`;
}
