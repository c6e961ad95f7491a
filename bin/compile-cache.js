// V8's compile cache for RDL Sync's own modules. V8 parses a module file whole before any of it
// runs; the CLI's engine chunk (dist/cli, 1.7 MB) took 35-60 ms of that at every start here, more
// on a Raspberry Pi. With the cache on, a start reads the compiled code back from disk instead.
// Only Node >= 22.1 has module.enableCompileCache (so does Electron 45, which runs the packaged
// app's --headless daemon and `once`); on older runtimes this does nothing. It must run before the
// big modules are imported: bin/rdl-sync.js calls it first, the app's entry before loading the app.
// Not measurable under Electron 45 here (only Electron 33, Node 20, is installed for the tests).
// Measured with Node 22.23 standing in: V8's compile of the CLI's modules 49-73 ms -> 10-14 ms on
// a warm cache; `rdl-sync once`'s first Dropbox request 357 -> 280 ms after start (medians of 8).
//
// Node runs whatever compiled code it finds in the cache folder: its checks (size, CRC32) catch a
// damaged file, not a forged one. So the cache goes on only in a folder no one else can write to
// (compileCacheRefusal), and never for an AppImage, whose mount point (and so every cache file's
// name) changes at every start: nothing would ever be read back, and a service restarting in a
// loop would fill the disk.
import { lstatSync, mkdirSync, readdirSync, rmSync, utimesSync } from 'node:fs';
import module from 'node:module';
import os from 'node:os';
import path from 'node:path';

/**
 * The user's own cache folder, never the temp folder Node picks by default: the systemd unit runs
 * with PrivateTmp (a fresh, empty /tmp at every start, so the cache would never be read back), and
 * a folder every user may write to would let another user leave compiled code for us to run.
 * The home folder stays writable under the unit's ProtectSystem=full.
 */
export function compileCacheDir(
  env = process.env,
  platform = process.platform,
  home = os.homedir(),
) {
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA || path.join(home, 'AppData', 'Local');
    return path.join(local, 'rdl-sync', 'Cache', 'compile-cache');
  }
  if (platform === 'darwin')
    return path.join(home, 'Library', 'Caches', 'rdl-sync', 'compile-cache');
  const xdg = env.XDG_CACHE_HOME;
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(home, '.cache');
  return path.join(base, 'rdl-sync', 'compile-cache');
}

/** Folders above the cache folder that are checked too: the cache base and the one holding it. */
const CHECKED_ABOVE = 3; // compile-cache <- rdl-sync <- .cache (or $XDG_CACHE_HOME) <- home

/**
 * Why the cache must stay off, or null when `dir` is safe for it: POSIX only; not an AppImage;
 * the cache folder, the folders holding it (up to the home folder) and the folders Node made in
 * it all real folders (no links), owned by this user (root may own those above the cache's own
 * two), and writable by no one else. A folder not there yet is made by us, 0700.
 */
export function compileCacheRefusal(
  dir,
  env = process.env,
  euid = typeof process.geteuid === 'function' ? process.geteuid() : undefined,
) {
  if (euid === undefined) return 'no owner checks on this platform';
  if (env.APPIMAGE) return 'an AppImage is mounted at a new path at every start';
  const chain = [dir];
  for (let i = 0; i < CHECKED_ABOVE; i++) chain.push(path.dirname(chain[chain.length - 1]));
  for (const [depth, folder] of chain.entries()) {
    let st;
    try {
      st = lstatSync(folder);
    } catch (e) {
      if (e && e.code === 'ENOENT') continue;
      return `${folder}: ${e instanceof Error ? e.message : String(e)}`;
    }
    const ownOnly = depth < 2; // compile-cache and rdl-sync: ours alone, never root's for a user
    const refusal = unsafeFolder(folder, st, euid, ownOnly);
    if (refusal) return refusal;
  }
  let made;
  try {
    made = readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if (e && e.code === 'ENOENT') return null;
    return `${dir}: ${e instanceof Error ? e.message : String(e)}`;
  }
  for (const entry of made) {
    const folder = path.join(dir, entry.name);
    const refusal = unsafeFolder(folder, lstatSync(folder), euid, true);
    if (refusal) return refusal;
  }
  return null;
}

function unsafeFolder(folder, st, euid, ownOnly) {
  if (!st.isDirectory()) return `${folder} is not a folder (a link or a file)`;
  if (st.uid !== euid && (ownOnly || st.uid !== 0))
    return `${folder} belongs to user ${st.uid}, not to this user (${euid})`;
  if ((st.mode & 0o022) !== 0) return `${folder} may be written by other users`;
  return null;
}

/**
 * Turns the cache on when the runtime has it and the folder is safe; never throws (a cache that
 * cannot be used is no reason to stop). NODE_COMPILE_CACHE (another folder) and
 * NODE_DISABLE_COMPILE_CACHE=1 are honoured by Node itself. Returns what happened: 'unavailable'
 * on runtimes without it, 'refused' (with the reason) for an unsafe folder, else Node's status
 * ('enabled', 'already-enabled', 'disabled', 'failed') with the folder or reason.
 */
export function enableCompileCache() {
  if (typeof module.enableCompileCache !== 'function') return { status: 'unavailable' };
  try {
    const dir = compileCacheDir();
    const refusal = compileCacheRefusal(dir);
    if (refusal) return { status: 'refused', message: refusal };
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const result = module.enableCompileCache(dir);
    const names = Object.entries(module.constants?.compileCacheStatus ?? {});
    const name = names.find(([, value]) => value === result.status)?.[0] ?? String(result.status);
    return {
      status: name.toLowerCase().replace(/_/g, '-'),
      directory: result.directory,
      message: result.message,
    };
  } catch (e) {
    return { status: 'failed', message: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Writes what has been compiled so far to the cache now (Node >= 22.10), instead of only at a
 * clean exit: a daemon is stopped by a signal or a power cut, which would leave nothing behind.
 */
export function flushCompileCache() {
  if (typeof module.flushCompileCache === 'function') {
    try {
      module.flushCompileCache();
    } catch {
      // A cache that cannot be written is no reason to stop.
    }
  }
  // Then the folders earlier runtimes left: in our own folder only, not in one NODE_COMPILE_CACHE
  // names, and only while it passes the same checks as for turning the cache on (that variable
  // can turn it on in a folder we refused). Worked out again, not remembered: the CLI bundle
  // carries its own copy of this file.
  try {
    const active = module.getCompileCacheDir?.();
    const ours = compileCacheDir();
    if (
      typeof active === 'string' &&
      path.dirname(active) === ours &&
      compileCacheRefusal(ours) === null
    ) {
      pruneCompileCache(ours, path.basename(active));
    }
  } catch {
    // Pruning is housekeeping: never a reason to stop.
  }
}

/** A runtime's folder not started this long is removed (upgraded away, most likely). */
export const COMPILE_CACHE_MAX_AGE_MS = 30 * 24 * 3600 * 1000;
/** Node names each runtime's folder in the cache: v<version>-<arch>-<hash>-<uid>. */
const RUNTIME_FOLDER = /^v\d+\.\d+\.\d+-[\w-]+$/;

/**
 * Node keeps one folder per runtime (version, architecture, V8 flags) in the cache, and never
 * removes one: every Node or Electron upgrade would leave a few hundred KB behind for good. The
 * folder in use is marked now (its time; Node rewrites files in it only when a module changes);
 * a runtime's folder no start has marked for COMPILE_CACHE_MAX_AGE_MS is removed. An age, not
 * "every other folder": the CLI on the system's Node and the app's daemon on Electron's may share
 * the cache, and each would otherwise delete the other's at every start. A daemon running longer
 * than that may lose its folder to a command started on the other runtime: harmless, Node skips
 * writes into a folder that is gone and its next start compiles afresh. Links and files are left
 * alone, and nothing here throws.
 */
export function pruneCompileCache(dir, activeName, now = Date.now()) {
  try {
    const when = new Date(now);
    utimesSync(path.join(dir, activeName), when, when);
  } catch {
    // Not written yet (nothing compiled so far): nothing to mark.
  }
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const entry of entries) {
    if (entry.name === activeName || !entry.isDirectory() || !RUNTIME_FOLDER.test(entry.name))
      continue;
    const folder = path.join(dir, entry.name);
    try {
      if (now - lstatSync(folder).mtimeMs > COMPILE_CACHE_MAX_AGE_MS)
        rmSync(folder, { recursive: true, force: true });
    } catch {
      // Gone meanwhile, or not ours to remove: the next start looks again.
    }
  }
}
