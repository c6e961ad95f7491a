// Settings are per user, and the hub's service runs as its user (pi) with ~pi/.config/rdl-sync. A
// technician who types `sudo rdl-sync settings set …`, `sudo rdl-sync pause` or `sudo rdl-sync
// once` out of habit used root's own settings folder: the change went into a file the service
// never reads, the pause paused nothing, and `once` (or `run`) became a second syncer working the
// same watch, transit and archive folders as the service, while the person believed the hub
// was changed. Such a command now refuses beside another user's running `rdl-sync run`, says whose
// service it is and where its settings are, and gives the command to type instead.
//
// Not checked:
//  - an explicit --config-dir or RDL_SYNC_CONFIG_DIR: the person named the folder on purpose
//    (root editing pi's folder, or a second, separate RDL Sync of its own);
//  - users other than root (main.ts): theirs is a separate RDL Sync of their own on a shared
//    machine, not the habit of `sudo`;
//  - root with settings of its own already: root runs an RDL Sync of its own on purpose;
//  - a `run` started by systemd: its unit is the machine's deliberate set-up, and a service
//    refused at boot would leave the hub unsynced (and restarting for ever) whenever some other
//    user's RDL Sync was up at that moment;
//  - commands that change nothing here: they get a note on stderr instead (see guardFor).
import { access } from 'node:fs/promises';
import { userInfo } from 'node:os';
import path from 'node:path';
import { shellWord } from '../engine/index.js';
import { otherUsersDaemons, type OtherUserDaemon } from './other-user-daemon.js';

type Guard = 'refuse' | 'note' | 'none';

/**
 * What `command` does beside another user's service.
 * Refused: whatever syncs (`run`, `once`: a second syncer on the service's folders) or writes this
 * user's settings, credentials, pause or alert state (`settings set`, `auth`, `import-legacy`,
 * `pause`, `resume`, `alert`), deletes from an archive by them (`retention`, a dry run too: its
 * list is of the wrong settings' archive) or sends their digest (`report --send`).
 * A note only: commands that read (`history`, `doctor`, `fleet`, `report`, `settings show|check`):
 * they change nothing, and their answer is still this user's to read; the note says it is not
 * the service's. `status` says the same in its own output (commands.ts). Nothing for `settings
 * path`: it names this user's file, which is what it is asked, and scripts read its one line.
 */
export function guardFor(command: string, positionals: string[], sends: boolean): Guard {
  switch (command) {
    case 'run':
      return (process.env.INVOCATION_ID ?? '') === '' ? 'refuse' : 'none';
    case 'once':
    case 'sync':
    case 'auth':
    case 'import-legacy':
    case 'pause':
    case 'resume':
    case 'alert':
    case 'retention':
      return 'refuse';
    case 'report':
      return sends ? 'refuse' : 'note';
    case 'settings': {
      const action = positionals[0] ?? 'show';
      if (action === 'path') return 'none';
      return action === 'show' || action === 'check' ? 'note' : 'refuse';
    }
    case 'history':
    case 'doctor':
    case 'fleet':
      return 'note';
    default:
      return 'none';
  }
}

/**
 * The command to type instead: the same arguments, as that user, with its settings folder named
 * when `sudo -u USER` would not find it by itself (the service started with --config-dir or
 * RDL_SYNC_CONFIG_DIR, or a home other than the one in /etc/passwd). Each word quoted for the
 * shell where it must be: a uid without a name is `'#1000'` (bare, `#` starts a comment).
 */
export function insteadCommand(d: OtherUserDaemon, argv: readonly string[]): string {
  const ownDefault = d.home === null ? null : path.join(d.home, '.config', 'rdl-sync');
  const dir =
    d.settingsDir !== null && d.settingsDir !== ownDefault ? ['--config-dir', d.settingsDir] : [];
  return ['sudo', '-u', d.user, 'rdl-sync', ...argv, ...dir].map(shellWord).join(' ');
}

function serviceSentence(d: OtherUserDaemon): string {
  const where = d.settingsDir ?? `the settings folder of user ${d.user}`;
  return `RDL Sync runs on this machine as user ${d.user} (pid ${d.pid}), with its settings in ${where}`;
}

/**
 * Another user's running RDL Sync daemons whose settings are not `configDir` (one sharing this
 * folder is no mistake: the command acts on what it runs), each with what to say; none when
 * `configDir` holds settings already (an RDL Sync of this user's own, set up on purpose).
 */
export async function besideOtherUsersServices(
  command: string,
  argv: readonly string[],
  configDir: string,
): Promise<{ refusal: string; note: string } | null> {
  if (await exists(path.join(configDir, 'config.json'))) return null;
  const others = (await otherUsersDaemons()).filter((d) => d.settingsDir !== configDir);
  if (others.length === 0) return null;
  const me = currentUser();
  const does =
    command === 'run' || command === 'once'
      ? `would start a second syncer beside it, on the same folders, with the settings in ${configDir}`
      : `would use ${me}'s own settings in ${configDir}, which that service never reads: it would change nothing of what the service does`;
  const refusal = [
    `rdl-sync ${command}: not done. ${others.map(serviceSentence).join('; ')}; this command, run as ${me}, ${does}.`,
    ...others.map((d) => `To run it for the service of user ${d.user}: ${insteadCommand(d, argv)}`),
    '',
  ].join('\n');
  const note = [
    ...others.map(
      (d) =>
        `Note: ${serviceSentence(d)}; what follows is from the settings in ${configDir}, which it never reads. Its own: ${insteadCommand(d, argv)}`,
    ),
    '',
  ].join('\n');
  return { refusal, note };
}

function currentUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `user #${process.getuid?.() ?? '?'}`;
  }
}

async function exists(file: string): Promise<boolean> {
  return access(file).then(
    () => true,
    () => false,
  );
}
