#!/usr/bin/env node
// Builds what Electron and the CLI run, with esbuild:
//   dist/main/main.mjs         Electron main (ESM; deps bundled, electron external)
//   dist/preload/preload.cjs   sandboxed preload (sandboxed preloads cannot be ESM)
//   dist/renderer/             index.html, app.js (IIFE), app.css
//   dist/assets/               tray and app icons
//   dist/cli/cli.mjs           the headless CLI (bin/rdl-sync.js runs it when present)
// Usage: node scripts/build.mjs [--dev]   (--dev: no minification, inline source maps)
// The functions are exported so tests can build the renderer (or everything) into a temp folder.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));

// Bundled CommonJS dependencies still call require() for Node built-ins; give ESM output one.
const requireShim =
  "import { createRequire as __rdlCreateRequire } from 'node:module';\nconst require = __rdlCreateRequire(import.meta.url);";

function common(dev) {
  return {
    bundle: true,
    logLevel: 'warning',
    minify: !dev,
    sourcemap: dev ? 'inline' : false,
    legalComments: 'none',
  };
}

export async function buildRenderer(outDir, { dev = false } = {}) {
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    ...common(dev),
    entryPoints: [join(root, 'src/renderer/app.ts')],
    outfile: join(outDir, 'app.js'),
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
  });
  cpSync(join(root, 'src/renderer/index.html'), join(outDir, 'index.html'));
  cpSync(join(root, 'src/renderer/app.css'), join(outDir, 'app.css'));
  return outDir;
}

export async function buildPreload(outDir, { dev = false } = {}) {
  await esbuild.build({
    ...common(dev),
    entryPoints: [join(root, 'src/preload/preload.ts')],
    outfile: join(outDir, 'preload.cjs'),
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: ['electron'],
  });
}

async function buildNodeEsm(entry, outfile, dev) {
  await esbuild.build({
    ...common(dev),
    // Keep names readable in stack traces from the field.
    minify: false,
    entryPoints: [join(root, entry)],
    outfile,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['electron'],
    banner: { js: requireShim },
  });
}

/** The headless CLI alone, as dist/cli/cli.mjs is built (the bench measures it as users run it). */
export async function buildCli(outfile, { dev = false } = {}) {
  await buildNodeEsm('src/cli/main.ts', outfile, dev);
  return outfile;
}

export async function buildAll({ dev = false, dist = join(root, 'dist') } = {}) {
  rmSync(dist, { recursive: true, force: true });
  await Promise.all([
    buildNodeEsm('src/main/main.ts', join(dist, 'main/main.mjs'), dev),
    buildNodeEsm('src/cli/main.ts', join(dist, 'cli/cli.mjs'), dev),
    buildPreload(join(dist, 'preload'), { dev }),
    buildRenderer(join(dist, 'renderer'), { dev }),
  ]);
  cpSync(join(root, 'assets'), join(dist, 'assets'), { recursive: true });
  return dist;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dev = process.argv.includes('--dev');
  const dist = await buildAll({ dev });
  console.log(`built ${dist}`);
}
