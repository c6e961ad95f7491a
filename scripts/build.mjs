#!/usr/bin/env node
// Builds what Electron and the CLI run, with esbuild:
//   dist/main/main.mjs         Electron main (ESM; deps bundled, electron external; split at
//                              dynamic imports into dist/main/*.mjs chunks): src/main/entry.ts,
//                              which loads the app (src/main/main.ts) through a dynamic import
//   dist/preload/preload.cjs   sandboxed preload (sandboxed preloads cannot be ESM)
//   dist/renderer/             index.html, app.js (IIFE), app.css
//   dist/assets/               tray and app icons
//   dist/cli/cli.mjs           the headless CLI (bin/rdl-sync.js runs it when present; split at
//                              dynamic imports into dist/cli/*.mjs chunks)
// Usage: node scripts/build.mjs [--dev]   (--dev: no minification, inline source maps)
// The functions are exported so tests can build the renderer (or everything) into a temp folder.
import * as esbuild from 'esbuild';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
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

// V8 keeps a script's whole source in the heap, as one byte a character only if every character
// is Latin-1. esbuild escapes non-ASCII in code (charset ascii) but copies comments as they are,
// and one dash from a dependency's comment made the main bundle's 3 MB source a 6 MB two-byte
// string in the tray app's heap (measured: large-object space 6 MB). Comments only, so the
// escape changes nothing that runs.
function asciiComments(file) {
  const text = readFileSync(file, 'utf8');
  // eslint-disable-next-line no-control-regex
  const ascii = text.replace(/[^\x00-\x7f]/g, (c) => `\\u{${c.codePointAt(0).toString(16)}}`);
  if (ascii !== text) writeFileSync(file, ascii);
}

async function buildNodeEsm(entry, out, dev, { split = false } = {}) {
  const result = await esbuild.build({
    ...common(dev),
    // Keep names readable in stack traces from the field.
    minify: false,
    entryPoints: { [basename(out, '.mjs')]: join(root, entry) },
    // Split at dynamic imports. The tray app's main process: code an idle tray app never runs (the
    // demo's emulator, the CLI of --headless, nodemailer) stays out of its memory. The CLI: V8
    // compiles a whole module file before running any of it, so as one file every start paid for
    // all of it (about 75 ms for 2.9 MB, nodemailer included), and esbuild wrapped every module
    // behind a dynamic import in a lazy initialiser; split, `--help` compiles only the argument
    // parsing, `once` never the mail code.
    ...(split
      ? { splitting: true, outdir: dirname(out), outExtension: { '.js': '.mjs' } }
      : { outfile: out }),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['electron'],
    banner: { js: requireShim },
    metafile: true,
  });
  for (const file of Object.keys(result.metafile.outputs)) asciiComments(resolve(file));
}

/**
 * The headless CLI alone, as dist/cli/ is built (the bench measures it as users run it): `outfile`
 * (named cli.mjs wherever it is) and its chunks beside it, which it imports by relative path, so
 * the folder moves as a whole. Returns the entry's path.
 */
export async function buildCli(outfile, { dev = false } = {}) {
  await buildNodeEsm('src/cli/main.ts', outfile, dev, { split: true });
  return outfile;
}

export async function buildAll({ dev = false, dist = join(root, 'dist') } = {}) {
  rmSync(dist, { recursive: true, force: true });
  await Promise.all([
    buildNodeEsm('src/main/entry.ts', join(dist, 'main/main.mjs'), dev, { split: true }),
    buildCli(join(dist, 'cli/cli.mjs'), { dev }),
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
