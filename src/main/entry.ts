// The app's entry (dist/main/main.mjs). With --headless (the daemon and `once` from the app
// binary) it first turns V8's compile cache on (bin/compile-cache.js says why and where), then
// loads the app. The cache must be on before the app's modules are compiled, and every static
// import of a module is compiled before its first line runs: hence the dynamic import. Awaited,
// because Electron emits `ready` only once the entry has finished: main.ts's switches and paths
// are still set before it, as they were when main.ts was the entry. The tray app is left without
// the cache: it starts once per login, and its idle memory is watched (issue 11).
import { enableCompileCache } from '../../bin/compile-cache.js';

if (process.argv.includes('--headless')) enableCompileCache();
await import('./main.js');
