#!/usr/bin/env node
// Entry point of the `rdl-sync` command. In a source checkout it runs the TypeScript directly
// through tsx, so it can never run a stale build; an installed package (no src/) runs the
// bundled CLI from dist/.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { enableCompileCache } from './compile-cache.js';

// First, before the CLI's modules are imported (compile-cache.js says why; a no-op before Node 22.1).
enableCompileCache();

const source = new URL('../src/cli/main.ts', import.meta.url);
const built = fileURLToPath(new URL('../dist/cli/cli.mjs', import.meta.url));
// Run by name, not left to the module to guess that it is the entry: started through a link or
// wrapper of another name, it did nothing and exited 0 (main.ts isMainModule).
// A checkout installed without its dev dependencies (npm ci --omit=dev on a hub) has no tsx: it
// runs its build then, rather than failing on a missing package.
const tsx = existsSync(fileURLToPath(source))
  ? await import('tsx/esm/api').catch((e) => {
      if (e?.code !== 'ERR_MODULE_NOT_FOUND') throw e;
      return null;
    })
  : null;
if (tsx) {
  tsx.register();
  (await import(source.href)).runCommandLine();
} else if (existsSync(built)) {
  (await import(pathToFileURL(built).href)).runCommandLine();
} else {
  process.stderr.write(
    existsSync(fileURLToPath(source))
      ? 'rdl-sync: dist/cli/cli.mjs not found, and tsx (a dev dependency) is not installed to run src/: run npm ci, then npm run build\n'
      : 'rdl-sync: neither src/cli/main.ts nor dist/cli/cli.mjs found; run npm run build\n',
  );
  process.exitCode = 1;
}
