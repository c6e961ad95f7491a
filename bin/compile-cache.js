// V8's compile cache for RDL Sync's own modules. V8 parses a module file whole before any of it
// runs; the CLI's engine chunk (dist/cli, 1.7 MB) took 35-60 ms of that at every start here, more
// on a Raspberry Pi. With the cache on, a start reads the compiled code back from disk instead.
// Only Node >= 22.1 has module.enableCompileCache (so does Electron 45, which runs the packaged
// app's --headless daemon and `once`); on older runtimes this does nothing. It must run before the
// big modules are imported: bin/rdl-sync.js calls it first, the app's entry before loading the app.
// Not measurable under Electron 45 here (only Electron 33, Node 20, is installed for the tests).
// Measured with Node 22.23 standing in: V8's compile of the CLI's modules 49-73 ms -> 10-14 ms on
// a warm cache; `rdl-sync once`'s first Dropbox request 357 -> 280 ms after start (medians of 8).
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

/**
 * Turns the cache on when the runtime has it; never throws (a cache that cannot be written is no
 * reason to stop). NODE_COMPILE_CACHE (another folder) and NODE_DISABLE_COMPILE_CACHE=1 are
 * honoured by Node itself. Returns what happened: 'unavailable' on runtimes without it, else
 * Node's status ('enabled', 'already-enabled', 'disabled', 'failed') with the folder or reason.
 */
export function enableCompileCache() {
  if (typeof module.enableCompileCache !== 'function') return { status: 'unavailable' };
  try {
    const result = module.enableCompileCache(compileCacheDir());
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
