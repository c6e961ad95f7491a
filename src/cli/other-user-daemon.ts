// Settings are per user: the service runs as the hub's user (pi) with ~pi/.config/rdl-sync. A
// technician who types `sudo rdl-sync status` out of habit read root's status: "Daemon not
// running. Setup needed: RDL Sync has no settings yet", on a hub that had synced for months, and
// the obvious next step (set it up again, as root) makes a second syncer on the same folders.
// When nothing syncs with this user's settings, `status` looks for an RDL Sync daemon that another
// user runs on this machine and names it, with the command that shows its status.
import { readdir, readFile, readlink } from 'node:fs/promises';
import path from 'node:path';
import { defaultConfigDir } from '../engine/index.js';

export interface OtherUserDaemon {
  pid: number;
  uid: number;
  user: string;
  /** The --config-dir it was started with, when it was. */
  configDir: string | null;
  /**
   * The settings folder it uses, when known: its --config-dir (made absolute), else the default
   * its own environment gives (RDL_SYNC_CONFIG_DIR, XDG_CONFIG_HOME, HOME: only root may read
   * another user's environment), else that user's home's .config/rdl-sync.
   */
  settingsDir: string | null;
  /** That user's home in /etc/passwd: where `sudo -u USER rdl-sync` looks by default. */
  home: string | null;
}

/** Programs that start a command as another user and stay as its parent (not the daemon). */
const USER_SWITCHERS = new Set(['sudo', 'runuser', 'su', 'doas', 'pkexec']);

/**
 * `rdl-sync run` daemons of other users (`rdl-sync.js run` from a checkout, `rdl-sync --headless
 * run` of a package). Linux only (/proc); elsewhere none.
 */
export async function otherUsersDaemons(): Promise<OtherUserDaemon[]> {
  const me = process.getuid?.();
  if (me === undefined) return [];
  let pids: string[];
  try {
    pids = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  } catch {
    return [];
  }
  const found: OtherUserDaemon[] = [];
  for (const name of pids) {
    const pid = Number(name);
    if (pid === process.pid) continue;
    try {
      const args = (await readFile(`/proc/${name}/cmdline`, 'utf8')).split('\0');
      // `sudo -u pi rdl-sync run` (or runuser, su, doas) stays as root's process, the daemon its
      // child: it was named "RDL Sync runs as user root", beside pi's real one.
      if (USER_SWITCHERS.has(path.basename(args[0] ?? ''))) continue;
      const entry = args.findIndex((a) => /^rdl-sync(\.js)?$/.test(path.basename(a)));
      if (entry < 0 || !args.slice(entry + 1).includes('run')) continue;
      const uid = Number(
        /^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${name}/status`, 'utf8'))?.[1],
      );
      if (!Number.isInteger(uid) || uid === me) continue;
      const account = await passwdEntry(uid);
      const configDir = configDirArg(args);
      found.push({
        pid,
        uid,
        user: account?.name ?? `#${uid}`,
        configDir,
        settingsDir: await settingsDirOf(name, configDir, account?.home ?? null),
        home: account?.home ?? null,
      });
    } catch {
      // ended meanwhile
    }
  }
  return found.sort((a, b) => a.pid - b.pid);
}

function configDirArg(args: string[]): string | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--config-dir') return args[i + 1] ?? null;
    if (a.startsWith('--config-dir=')) return a.slice('--config-dir='.length);
  }
  return null;
}

/** The login name and home of `uid` in /etc/passwd, or null (a user without a name). */
async function passwdEntry(uid: number): Promise<{ name: string; home: string | null } | null> {
  try {
    for (const line of (await readFile('/etc/passwd', 'utf8')).split('\n')) {
      const [name, , id, , , home] = line.split(':');
      if (name && id === String(uid)) return { name, home: home || null };
    }
  } catch {
    // no passwd file: the number
  }
  return null;
}

/** The settings folder of process `pid` (see OtherUserDaemon.settingsDir). */
async function settingsDirOf(
  pid: string,
  configDir: string | null,
  home: string | null,
): Promise<string | null> {
  if (configDir !== null) {
    if (path.isAbsolute(configDir)) return configDir;
    // Relative to where it was started: its working folder.
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => null);
    return cwd === null ? null : path.resolve(cwd, configDir);
  }
  const env: NodeJS.ProcessEnv = {};
  try {
    for (const pair of (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0')) {
      const eq = pair.indexOf('=');
      if (eq > 0) env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
  } catch {
    // another user's environment: readable by root only
  }
  const itsHome = env.HOME ?? home;
  return itsHome ? defaultConfigDir(env, 'linux', itsHome) : null;
}

/** What `status` says about such a daemon: whose it is, and the command that shows its status. */
export function otherUserDaemonLine(d: OtherUserDaemon, configDir: string): string {
  // Quoted: a bare #1000 would start a comment in the shell.
  const user = d.user.startsWith('#') ? `'${d.user}'` : d.user;
  const dir = d.configDir === null ? '' : ` --config-dir '${d.configDir}'`;
  return `RDL Sync runs on this machine as user ${d.user} (pid ${d.pid}), with that user's settings: what follows are the settings in ${configDir}, which it never reads (settings are per user). Its status: sudo -u ${user} rdl-sync status${dir}`;
}
