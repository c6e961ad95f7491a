// The one source of truth for settings: validation, defaults, descriptions (shown in the window
// and `--help`), and the JSON schema handed to conf/electron-store. Nothing else declares a setting.
import * as z from 'zod';

export const DEFAULT_IGNORE_PATTERNS = [
  '.*', // dotfiles and dot-folders (editor swap files, .DS_Store)
  '*.tmp',
  '*.part',
  '*.swp',
  '*.crdownload',
  '~$*', // Office lock files
  'desktop.ini', // names Dropbox refuses
  'thumbs.db',
  'icon\r',
];

/** Upload chunks must be multiples of 4 MiB (Dropbox's block size) and stay below the 150 MiB request limit. */
export const CHUNK_MIB_STEP = 4;
export const CHUNK_MIB_MAX = 148;

export const IGNORE_PATTERN_MAX_LENGTH = 500;

/**
 * The refresh token and app secret travel to this endpoint: only over TLS, or in plain HTTP to
 * this machine itself (the local emulator).
 */
export function endpointProblem(u: string): string | null {
  if (u === '') return null;
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return 'Dropbox endpoint must be empty (real Dropbox) or a base URL like https://host or http://127.0.0.1:8080';
  }
  if (
    url.pathname !== '/' ||
    url.search !== '' ||
    url.hash !== '' ||
    url.username !== '' ||
    url.password !== '' ||
    /\/$/.test(u)
  )
    return 'Dropbox endpoint must be a bare base URL (scheme, host and port only), like https://host or http://127.0.0.1:8080';
  if (url.protocol === 'https:') return null;
  if (url.protocol !== 'http:')
    return 'Dropbox endpoint must start with https:// (or http:// to this machine)';
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback =
    host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  return loopback
    ? null
    : `Dropbox endpoint ${u} is plain http to another machine: the Dropbox credentials would cross the network unencrypted; use https://, or http only to 127.0.0.1, ::1 or localhost`;
}

function isAbsolutePath(p: string): boolean {
  return p.startsWith('/') || /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
}

function isLoopbackHost(h: string): boolean {
  const host = h.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** A folder's path as settings take it: absolute, or '~' / '~/…' (expanded by validateSettings). */
function isFolderPath(p: string): boolean {
  return isAbsolutePath(p) || p.startsWith('~');
}

/** `example`: this folder's own, in the message (the transit folder's once gave the watch folder's). */
const absolutePath = (what: string, example: string) =>
  z
    .string()
    .trim()
    .min(1, `${what} is empty: choose a folder`)
    .refine(isFolderPath, {
      message: `${what} must be an absolute path (for example ${example})`,
    });

export const settingsSchema = z.object({
  watchDir: absolutePath('Watch folder', '/home/pi/rdl/tosync').describe(
    'Folder the data logger writes into (the old script’s tosync/). Its subfolders stay in place.',
  ),
  transitDir: absolutePath('Transit folder', '/home/pi/rdl/transit').describe(
    'Queue folder: files wait here until both Dropbox and the archive (SD card or folder) have a verified copy. Put it on the same disk as the watch folder so staging is an atomic rename; never inside the archive folder (a card taken out would take the queue with it).',
  ),
  archiveEnabled: z.boolean().describe('Keep a second copy on a local SD card or disk.'),
  // Empty only while the archive is off (the check below). A relative path was taken from
  // wherever the daemon was started (a trial: copies landed in its working folder, and later
  // never reached the real card).
  archiveDir: z
    .string()
    .trim()
    .refine((p) => p === '' || isFolderPath(p), {
      message:
        'Archive folder must be an absolute path (for example /media/orangepi/SD1, the SD card’s folder)',
    })
    .describe(
      'Root of the SD card (for example /media/orangepi/SD1), or a local folder (for example /home/pi/SHELF3/logging-folder/4_synced). RDL Sync never creates this folder.',
    ),
  archiveMustBeMountPoint: z
    .boolean()
    .describe(
      'Only write when the archive folder is a mounted card, so nothing lands on the main disk when the card is out.',
    ),
  site: z
    .string()
    .trim()
    .max(100, 'Site name is longer than 100 characters')
    .regex(/^[^/\\]*$/, 'Site name may not contain / or \\')
    .refine((v) => v !== '.' && v !== '..', {
      message: 'Site name may not be "." or "..": they would move files to another Dropbox folder',
    })
    .describe('Name of this logger site; fills {site} in the remote folder.'),
  remoteRootTemplate: z
    .string()
    .trim()
    .regex(/^\/./, 'Remote folder must start with / (for example /RDL/{site})')
    .refine((t) => !t.endsWith('/'), { message: 'Remote folder must not end with /' })
    .refine((t) => !/\{(?!site\}|host\}|year\}|month\})[^}]*\}/.test(t), {
      message: 'Remote folder may only use the fields {site}, {host}, {year} and {month}',
    })
    .describe(
      'Dropbox folder files go to; {site}, {host}, {year} and {month} are filled in. Each file keeps its path below the watch folder.',
    ),
  scheduleMode: z
    .enum(['interval', 'cron'])
    .describe('Run a pass every N seconds, or on a cron schedule.'),
  intervalSeconds: z
    .number()
    .int('Interval must be a whole number of seconds')
    .min(2, 'Interval must be at least 2 seconds')
    .max(86_400, 'Interval must be at most 86400 seconds (one day)')
    .describe('Seconds between passes when the schedule is an interval.'),
  cron: z
    .string()
    .trim()
    .describe('Cron expression when the schedule is cron (for example */5 * * * *).'),
  stableSeconds: z
    .number()
    .int('Stable time must be a whole number of seconds')
    .min(0, 'Stable time cannot be negative')
    .max(3_600, 'Stable time must be at most 3600 seconds')
    .describe(
      'Seconds a file’s modification time must be old, with no change seen, before it is staged. On Linux a file that any process still holds open for writing is never staged, whatever its age. Elsewhere (no /proc) timing is the only guard: set this longer than the longest time a logger keeps a file open without writing (about 65 s for the infrared camera; the default 90 leaves a margin).',
    ),
  ignorePatterns: z
    .array(
      z
        .string()
        .min(1, 'An ignore pattern is empty')
        // Each pattern becomes a regular expression matched against every name on every pass:
        // a huge one stalls or crashes the pass. Real patterns are a few dozen characters.
        .max(
          IGNORE_PATTERN_MAX_LENGTH,
          `An ignore pattern is longer than ${IGNORE_PATTERN_MAX_LENGTH} characters: patterns are matched against every file name on every pass; use a shorter glob`,
        ),
    )
    .max(200, 'At most 200 ignore patterns')
    .describe('Glob patterns (matched against file names) that are never synced.'),
  concurrency: z
    .number()
    .int('Concurrency must be a whole number')
    .min(1, 'Concurrency must be at least 1')
    .max(32, 'Concurrency must be at most 32')
    .describe('Transfers in flight at once.'),
  chunkSizeMiB: z
    .number()
    .int('Chunk size must be a whole number of MiB')
    .min(CHUNK_MIB_STEP, `Chunk size must be at least ${CHUNK_MIB_STEP} MiB`)
    .max(CHUNK_MIB_MAX, `Chunk size must be at most ${CHUNK_MIB_MAX} MiB`)
    .refine((n) => n % CHUNK_MIB_STEP === 0, {
      message: `Chunk size must be a multiple of ${CHUNK_MIB_STEP} MiB`,
    })
    .describe(
      'MiB per piece of a large upload (a multiple of 4). 16 keeps a 100 Mbit/s link over 95% busy; smaller pieces lose less on a flaky link. Files up to this size are sent whole, in batches.',
    ),
  conflictPolicy: z
    .enum(['rename', 'overwrite'])
    .describe(
      'When Dropbox already has a different file at the same path: keep both (rename the new one) or overwrite.',
    ),
  dropboxAppKey: z
    .string()
    .trim()
    .describe('App key of your Dropbox app (from the Dropbox App Console).'),
  dropboxEndpoint: z
    .string()
    .trim()
    .superRefine((u, ctx) => {
      const problem = endpointProblem(u);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .describe(
      'Advanced: send Dropbox API calls to this base URL instead of Dropbox (the local emulator). Empty = Dropbox.',
    ),
  offlineAlertMinutes: z
    .number()
    .int()
    .min(1, 'Offline alert must be at least 1 minute')
    .max(10_080, 'Offline alert must be at most 10080 minutes (a week)')
    .describe(
      'Minutes Dropbox may be unreachable before you are notified (files keep waiting safely meanwhile).',
    ),
  historyLimit: z
    .number()
    .int()
    .min(100, 'History must keep at least 100 transfers')
    .max(100_000, 'History may keep at most 100000 transfers')
    .describe('Number of recent transfers kept in the history.'),
  startAtLogin: z.boolean().describe('Start the tray app when you log in (desktop only).'),
  diskFullPercent: z
    .number()
    .int('Disk warning level must be a whole percentage')
    .min(50, 'Disk warning level must be at least 50 %')
    .max(99, 'Disk warning level must be at most 99 %')
    .describe(
      'Warn when a disk holding the watch, transit or archive folder is this full (percent used). The hubs stop their loggers at 95 %, so the default 90 leaves time to act.',
    ),
  retentionEnabled: z
    .boolean()
    .describe(
      'Delete the oldest archive files when the archive is too large or its disk too full. Only files whose Dropbox copy is verified by content hash at that moment are deleted; every deletion is in the history. Off by default.',
    ),
  retentionMaxArchiveGiB: z
    .number()
    .min(0, 'Archive size limit cannot be negative')
    .max(100_000, 'Archive size limit must be at most 100000 GiB')
    .describe('With retention on: keep the archive below this many GiB (0 = no size limit).'),
  retentionMinFreePercent: z
    .number()
    .int('Free-space floor must be a whole percentage')
    .min(0, 'Free-space floor cannot be negative')
    .max(50, 'Free-space floor must be at most 50 %')
    .describe(
      'With retention on: keep at least this much of the archive’s disk free, in percent (0 = no floor).',
    ),
  silentSourceFactor: z
    .number()
    .min(1.5, 'Silence factor must be at least 1.5')
    .max(100, 'Silence factor must be at most 100')
    .describe(
      'A source folder (e.g. RDL/USB0, cameras/reolink1) counts as silent when no file arrived for this many times its usual interval (3: an hourly logger is reported after 3 h).',
    ),
  silentSourceMinSamples: z
    .number()
    .int('Minimum samples must be a whole number')
    .min(2, 'At least 2 samples are needed to learn an interval')
    .max(1000, 'At most 1000 samples')
    .describe('Intervals a source must have delivered before its usual interval is trusted.'),
  silentSourceOverrides: z
    .array(
      z
        .string()
        .regex(
          /^[^=]+=\d+$/,
          'Each override is SOURCE=MINUTES, e.g. cameras/reolink1=60 (0 = never report it)',
        ),
    )
    .max(200, 'At most 200 overrides')
    .describe(
      'Per-source silence limits in minutes, replacing the learned one: SOURCE=MINUTES, e.g. RDL/USB0=180; 0 turns the check off for that source.',
    ),
  // ---- fleet heartbeat (issue 10) ----
  fleetHeartbeatEnabled: z
    .boolean()
    .describe(
      'Write a small heartbeat (health summary, <site>.json) to the fleet folder on Dropbox, so one person can watch every site (rdl-sync fleet, the Fleet tab).',
    ),
  fleetHeartbeatMinutes: z
    .number()
    .int('Heartbeat interval must be a whole number of minutes')
    .min(1, 'Heartbeat interval must be at least 1 minute')
    .max(1_440, 'Heartbeat interval must be at most 1440 minutes (a day)')
    .describe(
      'Minutes between heartbeats (one Dropbox call each). A site counts as stale after three intervals without one.',
    ),
  fleetFolder: z
    .string()
    .trim()
    .refine((t) => t === '' || t.startsWith('/'), {
      message: 'Fleet folder must be empty or start with / (for example /RDL/_fleet)',
    })
    .refine((t) => !/[{}]/.test(t), {
      message: 'Fleet folder may not use {fields}: every hub and viewer must name the same folder',
    })
    .refine((t) => !t.endsWith('/') || t === '', { message: 'Fleet folder must not end with /' })
    .describe(
      'Dropbox folder holding every site’s heartbeat. Empty = beside the site folders (the remote folder cut before {site}, plus _fleet, e.g. /RDL/_fleet). Never inside a site’s data folder.',
    ),
  // Alerts (issue 10): the policy, then the channels. Secrets (SMTP password, webhook URL) are
  // not settings: they live in alert-secrets.json beside the Dropbox connection (0600).
  alertReminderHours: z
    .number()
    .int('Reminder must be a whole number of hours')
    .min(0, 'Reminder cannot be negative (0 = no reminders)')
    .max(720, 'Reminder must be at most 720 hours (30 days)')
    .describe('Hours after which a condition still present is announced again (0 = never remind).'),
  alertFlapMinutes: z
    .number()
    .int('Repeat guard must be a whole number of minutes')
    .min(0, 'Repeat guard cannot be negative')
    .max(1440, 'Repeat guard must be at most 1440 minutes (a day)')
    .describe(
      'A condition that clears and comes back within this many minutes is announced again at once, and its next "Resolved" waits until it has stayed away this long (errors are always told). Something that keeps changing (a card flipping between missing and read-only) is told once, then again once it has been steady this long.',
    ),
  alertEmailTo: z
    .array(z.string().trim().email('Each alert recipient must be an email address'))
    .max(20, 'At most 20 alert recipients')
    .describe('Email addresses that receive alerts and the digest (empty = no email).'),
  alertEmailFrom: z
    .string()
    .trim()
    .refine((v) => v === '' || z.string().email().safeParse(v).success, {
      message: 'Alert sender must be an email address',
    })
    .describe('Sender address of alert emails (your relay may require a verified one).'),
  smtpHost: z
    .string()
    .trim()
    .max(253, 'SMTP server name is too long')
    .describe('SMTP relay for alert emails, e.g. smtp.sendgrid.net.'),
  smtpPort: z
    .number()
    .int('SMTP port must be a whole number')
    .min(1, 'SMTP port must be 1–65535')
    .max(65_535, 'SMTP port must be 1–65535')
    .describe('SMTP port: 587 for STARTTLS, 465 for TLS.'),
  smtpSecurity: z
    .enum(['starttls', 'tls', 'none'])
    .describe(
      'starttls: upgrade to TLS after connecting (port 587, required); tls: TLS from the start (465); none: plain (only to this machine).',
    ),
  smtpUser: z
    .string()
    .trim()
    .max(320, 'SMTP user name is too long')
    .describe(
      'SMTP user name (SendGrid: apikey); the password is kept apart (rdl-sync alert secret smtp-password).',
    ),
  smtpCaFile: z
    .string()
    .trim()
    .describe('Advanced: a PEM file of an extra CA to trust for the SMTP relay (private relays).'),
  alertWebhookFormat: z
    .enum(['off', 'generic', 'slack', 'ntfy'])
    .describe(
      'Send alerts as a JSON POST to a webhook (its URL is kept apart: rdl-sync alert secret webhook-url): generic JSON, Slack {text}, or ntfy.',
    ),
  alertCommand: z
    .string()
    .trim()
    .refine((v) => v === '' || isAbsolutePath(v), {
      message: 'Alert command must be an absolute path to a program (or empty)',
    })
    .describe(
      'A program run for every alert, with the alert as JSON on stdin and in RDL_ALERT_* variables (empty = none).',
    ),
  alertCommandTimeoutSeconds: z
    .number()
    .int('Command timeout must be a whole number of seconds')
    .min(1, 'Command timeout must be at least 1 second')
    .max(600, 'Command timeout must be at most 600 seconds')
    .describe('The alert command is stopped after this many seconds.'),
  digestSchedule: z
    .enum(['off', 'daily', 'weekly'])
    .describe('A summary email of what was synced: daily, weekly (Mondays) or off.'),
  digestHour: z
    .number()
    .int('Digest hour must be a whole hour')
    .min(0, 'Digest hour must be 0–23')
    .max(23, 'Digest hour must be 0–23')
    .describe('Local hour at which the digest is sent.'),
});

export type Settings = z.infer<typeof settingsSchema>;
export type SettingKey = keyof Settings;

/**
 * A rule across settings: `problem` reads only the settings in `uses`, and its issue is about
 * `field`. Not a refinement of the schema: zod runs those only once every field is valid, so a
 * file with a type error (`"intervalSeconds": "ten"`) hid an empty site until that was fixed, one
 * `settings check` at a time. Validation runs each rule whose inputs are valid (validate.ts), so
 * one round names every mistake.
 */
interface AcrossFieldRule {
  uses: readonly SettingKey[];
  field: SettingKey;
  problem(s: Settings): string | null;
}

const ACROSS_FIELD_RULES: readonly AcrossFieldRule[] = [
  {
    uses: ['archiveEnabled', 'archiveDir'],
    field: 'archiveDir',
    problem: (s) =>
      s.archiveEnabled && s.archiveDir === ''
        ? 'Archive folder is empty: choose the SD card’s folder or a local folder, or turn the archive off'
        : null,
  },
  {
    uses: ['scheduleMode', 'cron'],
    field: 'cron',
    problem: (s) =>
      s.scheduleMode === 'cron' && s.cron === ''
        ? 'Cron expression is empty: enter one (for example */5 * * * *) or use an interval'
        : null,
  },
  // Each one missing is named, at once: naming only the first (smtpHost) made e-mail set-up take
  // two refusals, the second for the sender address.
  {
    uses: ['alertEmailTo', 'smtpHost'],
    field: 'smtpHost',
    problem: (s) =>
      s.alertEmailTo.length > 0 && s.smtpHost === ''
        ? 'Alert emails need an SMTP server (the relay that sends them): set it, or clear the recipients'
        : null,
  },
  {
    uses: ['alertEmailTo', 'alertEmailFrom'],
    field: 'alertEmailFrom',
    problem: (s) =>
      s.alertEmailTo.length > 0 && s.alertEmailFrom === ''
        ? 'Alert emails need a sender address (one your relay accepts): set it, or clear the recipients'
        : null,
  },
  {
    uses: ['smtpSecurity', 'smtpUser', 'smtpHost'],
    field: 'smtpSecurity',
    problem: (s) =>
      s.smtpSecurity === 'none' && s.smtpUser !== '' && !isLoopbackHost(s.smtpHost)
        ? 'SMTP without TLS would send the password unencrypted: use starttls or tls (plain only to this machine)'
        : null,
  },
  {
    uses: ['digestSchedule', 'alertEmailTo'],
    field: 'digestSchedule',
    problem: (s) =>
      s.digestSchedule !== 'off' && s.alertEmailTo.length === 0
        ? 'The digest is sent by email: add alert recipients, or turn the digest off'
        : null,
  },
  {
    uses: ['remoteRootTemplate', 'site'],
    field: 'site',
    problem: (s) =>
      s.remoteRootTemplate.includes('{site}') && s.site === ''
        ? 'Site name is empty but the remote folder uses {site}: enter the site name'
        : null,
  },
];

/**
 * The rules across settings whose inputs `usable` accepts, as issues. `s` holds valid values at
 * least for those inputs.
 */
export function acrossFieldIssues(
  s: Settings,
  usable: (key: SettingKey) => boolean,
): { field: SettingKey; message: string }[] {
  const issues: { field: SettingKey; message: string }[] = [];
  for (const rule of ACROSS_FIELD_RULES) {
    if (!rule.uses.every(usable)) continue;
    let message: string | null;
    try {
      message = rule.problem(s);
    } catch {
      // An input of a shape no rule expects (refused in some way other than its type): its own
      // issue names it; a rule over it says nothing, and never stops the others.
      continue;
    }
    if (message !== null) issues.push({ field: rule.field, message });
  }
  return issues;
}

/** Defaults that need no machine facts. Folder defaults are filled from the home folder by defaultSettings(). */
export const STATIC_DEFAULTS: Omit<Settings, 'watchDir' | 'transitDir'> = {
  archiveEnabled: true,
  archiveDir: '',
  archiveMustBeMountPoint: true,
  site: '',
  remoteRootTemplate: '/RDL/{site}',
  scheduleMode: 'interval',
  intervalSeconds: 10,
  cron: '',
  // The infrared camera writes its CSV straight into the watch folder and keeps it open about 60 s
  // with size and mtime unchanged (WORKLOAD.md): where open writers cannot be seen, any stable
  // time under about 65 s takes a truncated file. 90 s leaves a margin; the other loggers rename
  // finished files in, so a longer wait costs them only latency.
  stableSeconds: 90,
  ignorePatterns: DEFAULT_IGNORE_PATTERNS,
  concurrency: 4,
  chunkSizeMiB: 16,
  conflictPolicy: 'rename',
  dropboxAppKey: '',
  dropboxEndpoint: '',
  offlineAlertMinutes: 60,
  historyLimit: 5_000,
  startAtLogin: false,
  diskFullPercent: 90,
  retentionEnabled: false,
  retentionMaxArchiveGiB: 0,
  retentionMinFreePercent: 15,
  silentSourceFactor: 3,
  silentSourceMinSamples: 6,
  silentSourceOverrides: [],
  fleetHeartbeatEnabled: true,
  fleetHeartbeatMinutes: 15,
  fleetFolder: '',
  alertReminderHours: 24,
  alertFlapMinutes: 30,
  alertEmailTo: [],
  alertEmailFrom: '',
  smtpHost: '',
  smtpPort: 587,
  smtpSecurity: 'starttls',
  smtpUser: '',
  smtpCaFile: '',
  alertWebhookFormat: 'off',
  alertCommand: '',
  alertCommandTimeoutSeconds: 30,
  digestSchedule: 'off',
  digestHour: 7,
};
