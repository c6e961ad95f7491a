// Help texts: one per command, shown by `rdl-sync <command> --help`.
export const COMMON_OPTIONS = `Options for every command:
  --config-dir DIR   settings, journal, history and logs (default: ~/.config/rdl-sync,
                     or $RDL_SYNC_CONFIG_DIR); the tray app uses the same folder
  -h, --help         show help`;

export const HELP: Record<string, string> = {
  doctor: `Usage: rdl-sync doctor

Checks the connected Dropbox account: account, space, permissions, the content hash of a known
file, the largest request header Dropbox accepts and how it answers a repeated upload request.
Works in a scratch folder under the remote folder and removes it again, also when interrupted
(Ctrl-C); one an earlier run left (killed) is removed first.
Exit codes: 0 no problem found; 1 a problem found or Dropbox unreachable; 2 not set up;
130 interrupted.

${COMMON_OPTIONS}`,
  fleet: `Usage: rdl-sync fleet [--json] [--folder PATH]

Reads every hub's heartbeat from the fleet folder on Dropbox (fleetFolder; by default beside the
site folders, e.g. /RDL/_fleet) and shows each site: state, when it was last heard from (STALE,
in red on a terminal, after three of its heartbeat intervals), files waiting, its fullest disk,
its problems and the files synced per hour over the last 24 hours. Two hubs writing the same site
name (a cloned SD image) are flagged once this machine has seen both write. Works on any machine
connected to the same Dropbox, also one that syncs nothing: connect it with
rdl-sync auth --app-key KEY (the hubs' app key), no settings needed.

  --folder PATH   read this fleet folder (e.g. /Lab/_fleet) instead of the one the settings name

${COMMON_OPTIONS}`,
  main: `rdl-sync: data-logger files to Dropbox and a local archive (SD card or folder), without losing a byte.

Usage: rdl-sync <command> [options]

Commands:
  run             run the sync daemon (scheduled passes) until SIGTERM/SIGINT
  once            run one pass and exit (exit code 1 if anything failed or waits)
  sync            sync now, the failing files tried again (asks a running daemon or tray app)
  status          show what the engine is doing (--json for scripts)
  auth            connect to Dropbox (paste the code Dropbox shows)
  import-legacy   take over the old Python script's config.json (and Dropbox-Uploader token)
  history         recent transfers (--failures, --search, --limit, --json)
  retention       delete the oldest archive files verified on Dropbox (--dry-run lists them)
  pause           pause syncing (--for 1h), also a running daemon
  resume          resume syncing
  settings        show, check or change settings (settings --help)
  doctor          check the Dropbox account with a short probe in a scratch folder
  fleet           every site's heartbeat from Dropbox: state, last seen, backlog, disk (--json)
  alert           send a test alert (alert test), or save a channel secret (alert secret)
  report          the digest: files per source, both legs, disks, alerts (--send emails it)
  help [COMMAND]  this list, or a command's help (as rdl-sync COMMAND --help)
  version         RDL Sync's version and its runtime's (also --version)

${COMMON_OPTIONS}`,
  run: `Usage: rdl-sync run

Runs passes on the schedule in the settings until stopped. SIGTERM or SIGINT stops it
cleanly: the file in hand is finished or safely abandoned (it stays queued in transit).
Refuses to start when the settings are invalid, naming each problem.

${COMMON_OPTIONS}`,
  once: `Usage: rdl-sync once

Runs one pass (scan, stage, upload, archive) and exits.
Files still being written are waited for, at most stableSeconds + 10 s.
Exit codes: 0 everything moved; 1 something did not (a file failed, a leg is blocked, or a
file was still being written): each named, and the files stay queued; 2 invalid settings or usage.
A file that failed waits before its next try (30 s, doubling up to an hour); once leaves it
waiting. To try it now (after fixing its cause), use rdl-sync sync.

${COMMON_OPTIONS}`,
  sync: `Usage: rdl-sync sync [--wait DURATION]

Sync now, like the tray's "Sync now": the files that failed are tried again at once instead of
after their back-off (30 s, doubling up to an hour), for when you have fixed the cause.
Beside a running daemon or tray app, asks it (it begins within a few seconds, after the pass
under way) and waits for that pass to end, then shows what it left: the state, the queue, the
problems. Files still being written are left to it (it takes them once written).
A pass asked for runs while paused too (it stays paused). With none running, runs one pass
here as rdl-sync once does (--wait does not apply).
Exit codes: 0 everything moved; 1 something did not (said as rdl-sync status says it; the files
stay queued), the pass had not ended within the wait (it goes on), RDL Sync was paused before
it ended, or an rdl-sync once is at work (run sync again after it); 2 invalid settings or usage.

Options:
  --wait DURATION    how long to wait for the running daemon's pass: 90s, 10m, 1h30m; a
                     bare number is minutes (default 10m; 0 asks and returns at once, exit 0)

${COMMON_OPTIONS}`,
  status: `Usage: rdl-sync status [--json]

Shows the running daemon's status (state, counts per stage, archive, Dropbox, problems).
When no daemon runs, says so and shows the queue on disk.

${COMMON_OPTIONS}`,
  auth: `Usage: rdl-sync auth [--code CODE] [--app-key KEY]

Connects RDL Sync to Dropbox with OAuth 2 PKCE (no app secret needed):
  1. open the printed address in any browser (on any machine) and allow access;
  2. paste the code Dropbox shows.
Without a terminal, run 'rdl-sync auth' once to print the address, then
'rdl-sync auth --code CODE'. Needs the app key in the settings: settings set dropboxAppKey KEY
(on a new install together with the site and archive folder: settings set site SITE
archiveDir DIR dropboxAppKey KEY).

  --app-key KEY   for a machine that only views the fleet (rdl-sync fleet) and syncs nothing:
                  connects with this app key, kept with the connection; no settings needed

${COMMON_OPTIONS}`,
  'import-legacy': `Usage: rdl-sync import-legacy (--root DIR | --config PATH) [--uploader-config PATH] [--remote-root TEMPLATE] [--dry-run] [--replace]

Takes over a hub from the old syncing script, in one command:
  --root DIR    the old syncer's folder (e.g. /home/pi/SHELF3): its config.json is read there, and
                its folders are found in DIR or DIR/logging-folder:
                2_tosync -> watch folder, 3_transit -> transit folder, 4_synced -> archive
                (older hubs: tosync, transit, synced); 1_inprogress is never watched.
  --config PATH the old config.json (the folders are then looked for beside it).
From config.json: SITE -> site; SD_CARD_NAME set -> archive on the card mounted at
/media/orangepi/<SD_CARD_NAME> (said when no card is mounted there now); SD_CARD_NAME empty,
null or absent -> archive in the local 4_synced folder (made if the old syncer had not).
The loggers' other keys are ignored (each named). Remote folder /Professional/WIRED/{site}
(or --remote-root). With --uploader-config (e.g. ~/.dropbox_uploader) also imports the app key
and refresh token, so no new Dropbox login is needed, and asks Dropbox once whether that login
still works (accepted, refused: run rdl-sync auth, or not checkable now). Prints every setting it changed, and how to
stop the old syncer's service, naming its process if it runs now (it is never stopped for you).
Run again (say, to add a forgotten --uploader-config), it keeps the settings you changed since the
last import and names each; --replace takes the old setup's values instead. --dry-run prints
what it would change and writes nothing (no settings, no folder, no log).
Run it as the hub's user (e.g. pi), not with sudo: settings belong to the user who runs it.

${COMMON_OPTIONS}`,
  history: `Usage: rdl-sync history [--failures] [--search TEXT] [--limit N] [--json]

Recent transfers, newest first (the last 50 unless --limit), with both legs' results.
--failures: files in transit that failed 3 times (rdl-sync status counts every file failing
now and names those that failed 3 times; the log names each failure as it happens).

${COMMON_OPTIONS}`,
  retention: `Usage: rdl-sync retention [--dry-run] [--json]

Keeps the archive under retentionMaxArchiveGiB and its disk above retentionMinFreePercent free
by deleting its oldest files (by modification time). A file is deleted only when Dropbox holds
the same bytes at that moment (content hash checked, one metadata call per file); a file missing
or different on Dropbox is kept and listed. Every deletion is in the history.
--dry-run lists what would go, deletes nothing and logs nothing. The daemon runs retention by
itself when retentionEnabled is true; this command runs it now whatever that setting says.

${COMMON_OPTIONS}`,
  pause: `Usage: rdl-sync pause [--for DURATION]

Pauses syncing until resumed, or for a while (--for 30m, 1h30m, 2d). Files keep waiting
safely. A running daemon or tray app follows within a few seconds and ends the pass under
way; pause waits until it has (at most 20 s), so once it returns nothing is being copied (a
card can be unmounted). A running once or sync follows no pause: pause waits for it to end. Exit codes: 0 paused; 1 the running one had not shown the pause in
time (it is saved, and followed when it does).

${COMMON_OPTIONS}`,
  resume: `Usage: rdl-sync resume

Resumes syncing and starts a pass. Beside a running daemon or tray app, waits until it has
followed (at most 20 s). Exit codes as for pause.

${COMMON_OPTIONS}`,
  alert: `Usage: rdl-sync alert test
       rdl-sync alert secret smtp-password|webhook-url [--remove]   (the value on stdin)

test     sends a test alert through every channel set up (email, webhook, command) and says
         which got through. Exit codes: 0 all did; 1 one failed; 2 none is set up.
secret   saves the SMTP password or the webhook URL (it carries a token) in alert-secrets.json,
         readable only by this user. Never on the command line: typed (not shown) or piped in.
         An empty value changes nothing (exit 1); --remove removes the saved one.

The channels are settings: alertEmailTo, alertEmailFrom, smtpHost, smtpPort, smtpSecurity,
smtpUser, alertWebhookFormat, alertCommand (see rdl-sync settings).

${COMMON_OPTIONS}`,
  report: `Usage: rdl-sync report [--send] [--json]

The digest: per source folder the files and bytes synced over the last day (a week with
digestSchedule weekly; since the last digest sent, when that was longer ago) and the newest file,
both destinations' state, disk free, the alerts of the period, version and uptime. --send emails
it to alertEmailTo now; its Period line says what it covers.

${COMMON_OPTIONS}`,
  settings: `Usage: rdl-sync settings [show [KEY ...] | path | check | set KEY VALUE]

  show [KEY ...]  every setting (or those named) with its value and description (default)
  path            where the settings file is
  check           validate the settings file (exit 2 when invalid)
  set KEY VALUE [KEY VALUE ...]
                  change settings together; validated first, nothing saved when invalid.
                  Lists use commas (ignorePatterns '*.tmp,*.part'); booleans true/false.

${COMMON_OPTIONS}`,
};
