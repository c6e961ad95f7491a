// electron-builder.yml: valid against electron-builder's own schema, the targets we promise,
// and every file it names exists. The afterPack hook sets every fuse, RunAsNode and
// file-protocol privileges off.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const root = path.join(import.meta.dirname, '..', '..');
const require = createRequire(import.meta.url);
// Both come with electron-builder (js-yaml) and conf (ajv); no extra dependency for one test.
const yaml = require('js-yaml') as { load(text: string): unknown };
interface AjvLike {
  validate(schema: object, data: unknown): boolean;
  errors?: unknown;
  errorsText(errors: unknown, options?: { separator?: string }): string;
}
const Ajv = require('ajv') as new (options: { allErrors: boolean; strict: boolean }) => AjvLike;

interface Target {
  target: string;
  arch: string[];
}
interface BuilderConfig {
  appId: string;
  productName: string;
  directories: { buildResources: string };
  files: string[];
  afterPack: string;
  linux: {
    target: Target[];
    category: string;
    icon: string;
    executableName: string;
    extraFiles: { from: string; to: string }[];
  };
  win: { target: Target[]; icon: string };
  mac: { target: Target[]; category: string; icon: string };
}

const config = yaml.load(
  fs.readFileSync(path.join(root, 'electron-builder.yml'), 'utf8'),
) as BuilderConfig;

test('electron-builder.yml passes electron-builder’s own schema', () => {
  const schema = JSON.parse(
    fs.readFileSync(require.resolve('app-builder-lib/scheme.json'), 'utf8'),
  ) as object;
  const ajv = new Ajv({ allErrors: true, strict: false });
  const valid = ajv.validate(schema, config);
  assert.ok(valid, ajv.errorsText(ajv.errors, { separator: '\n' }));
});

test('ids, targets and architectures', () => {
  assert.equal(config.appId, 'org.rdlsync.app');
  assert.equal(config.productName, 'RDL Sync');
  const targets = (list: Target[]) =>
    Object.fromEntries(list.map((t) => [t.target, [...t.arch].sort()]));
  assert.deepEqual(targets(config.linux.target), {
    AppImage: ['arm64', 'x64'],
    deb: ['arm64', 'x64'],
  });
  assert.equal(config.linux.category, 'Utility');
  assert.deepEqual(Object.keys(targets(config.win.target)), ['nsis']);
  assert.deepEqual(Object.keys(targets(config.mac.target)), ['dmg']);
  assert.equal(config.mac.category, 'public.app-category.utilities');
  // The systemd unit starts `/opt/RDL Sync/rdl-sync --headless run`: the binary must be named so.
  assert.equal(config.linux.executableName, 'rdl-sync');
});

test('every file the config names exists', () => {
  const resources = path.join(root, config.directories.buildResources);
  const icons = path.join(resources, config.linux.icon);
  const sizes = fs.readdirSync(icons).filter((f) => /^\d+x\d+\.png$/.test(f));
  assert.ok(
    sizes.includes('512x512.png') && sizes.includes('16x16.png'),
    `icons: ${sizes.join(', ')}`,
  );
  assert.ok(fs.existsSync(path.join(resources, config.win.icon)));
  assert.ok(fs.existsSync(path.join(resources, config.mac.icon)));
  assert.ok(fs.existsSync(path.join(root, config.afterPack)));
  for (const extra of config.linux.extraFiles)
    assert.ok(fs.existsSync(path.join(root, extra.from)), extra.from);
  assert.ok(config.files.includes('dist/**') && config.files.includes('package.json'));
  // Electron starts what package.json's "main" names; scripts/build.mjs writes it.
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    main?: string;
  };
  assert.equal(pkg.main, 'dist/main/main.mjs');
  assert.match(
    fs.readFileSync(path.join(root, 'scripts', 'build.mjs'), 'utf8'),
    /'main\/main\.mjs'/,
  );
});

test('the afterPack hook sets every fuse: RunAsNode and file-protocol privileges off, asar integrity and asar-only on', () => {
  const { FUSES, electronBinary } = require(path.join(root, 'scripts', 'after-pack.cjs')) as {
    FUSES: Record<string, unknown>;
    electronBinary(ctx: unknown): string;
  };
  const { FuseV1Options } = require('@electron/fuses') as {
    FuseV1Options: Record<string, number | string>;
  };
  const fuseIds = Object.values(FuseV1Options).filter((v): v is number => typeof v === 'number');
  for (const id of fuseIds)
    assert.equal(typeof FUSES[id], 'boolean', `fuse ${FuseV1Options[id]} not set`);
  assert.equal(FUSES.strictlyRequireAllFuses, true);
  assert.equal(FUSES[FuseV1Options.RunAsNode as number], false);
  assert.equal(FUSES[FuseV1Options.EnableNodeOptionsEnvironmentVariable as number], false);
  assert.equal(FUSES[FuseV1Options.EnableEmbeddedAsarIntegrityValidation as number], true);
  assert.equal(FUSES[FuseV1Options.OnlyLoadAppFromAsar as number], true);
  // The page is served from rdl-sync://app/ (src/main/app-protocol.ts), not file://.
  assert.equal(FUSES[FuseV1Options.GrantFileProtocolExtraPrivileges as number], false);

  const ctx = (platform: string) => ({
    appOutDir: '/out',
    electronPlatformName: platform,
    packager: { appInfo: { productFilename: 'RDL Sync' }, executableName: 'rdl-sync' },
  });
  assert.equal(electronBinary(ctx('linux')), '/out/rdl-sync');
  assert.equal(electronBinary(ctx('win32')), path.join('/out', 'RDL Sync.exe'));
  assert.equal(electronBinary(ctx('darwin')), path.join('/out', 'RDL Sync.app'));
});

test('deb dependencies are current: no libappindicator, the libraries Chromium links', () => {
  const deb = (config as unknown as { deb: { depends: string[]; recommends?: string[] } }).deb;
  const all = [...deb.depends, ...(deb.recommends ?? [])].join(' ');
  assert.doesNotMatch(all, /appindicator/, 'Electron draws the tray itself');
  for (const lib of ['libgbm1', 'libnss3', 'libasound2', 'libgtk-3-0'])
    assert.match(all, new RegExp(`\\b${lib.replace(/[.]/g, '\\.')}\\b`), lib);
});

test('productName is set, and the .desktop StartupWMClass is the window class it gives', () => {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    productName?: string;
  };
  assert.equal(pkg.productName, 'RDL Sync');
  // Electron names the window's X class after productName (seen by the smoke test under X).
  const entry = (config as unknown as { linux: { desktop: { entry: Record<string, string> } } })
    .linux.desktop.entry;
  assert.equal(entry.StartupWMClass, pkg.productName);
});
