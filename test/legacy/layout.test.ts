// Layout detection and the import plan for every config.json variant the old syncer has used,
// on fixture hubs built from the facts (test/legacy/fixtures.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { validateSettings } from '../../src/engine/settings/validate.js';
import {
  detectLegacyLayout,
  findOldSyncerUnits,
  LegacyImportError,
  prepareLegacyImport,
} from '../../src/engine/legacy/index.js';
import { placeholderSiteReason } from '../../src/engine/settings/site-name.js';
import { currentPiHub, noCardKeyHub, olderPlainHub, orangePiHub } from './fixtures.js';
import { canMount, mountTmpfs, unmount } from '../archive/helpers.js';
import { spawn, type ChildProcess } from 'node:child_process';

async function temp(): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), 'rdl-layout-'));
}

test('layouts: numbered folders in logging-folder, plain names in the root, none', async () => {
  const dir = await temp();
  try {
    const pi = await currentPiHub(path.join(dir, 'pi', 'SHELF3'));
    const found = await detectLegacyLayout(pi.root);
    assert.deepEqual(found, {
      base: path.join(pi.root, 'logging-folder'),
      naming: 'numbered',
      inProgress: path.join(pi.root, 'logging-folder', '1_inprogress'),
      toSync: path.join(pi.root, 'logging-folder', '2_tosync'),
      transit: path.join(pi.root, 'logging-folder', '3_transit'),
      synced: path.join(pi.root, 'logging-folder', '4_synced'),
    });
    // Given the logging folder itself, the same layout.
    assert.deepEqual(await detectLegacyLayout(path.join(pi.root, 'logging-folder')), found);
    const old = await olderPlainHub(path.join(dir, 'old'));
    assert.deepEqual(
      [(await detectLegacyLayout(old.root))?.naming, (await detectLegacyLayout(old.root))?.toSync],
      ['plain', path.join(old.root, 'tosync')],
    );
    assert.equal(await detectLegacyLayout(path.join(dir)), null);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('current Pi hub (SD_CARD_NAME empty, loggers’ keys): local 4_synced archive, folders set, keys ignored with a note', async () => {
  const dir = await temp();
  try {
    const hub = await currentPiHub(path.join(dir, 'home', 'pi', 'SHELF3'));
    const units = path.join(dir, 'systemd');
    await fs.mkdir(units);
    // The hub's services: one logger (not a syncer), and the old syncer.
    await fs.writeFile(
      path.join(units, 'rdl-logger-usb0.service'),
      `[Service]\nWorkingDirectory=${hub.root}\nExecStart=/usr/bin/python3 ${hub.root}/rdl_logger.py USB0\nRestart=always\n`,
    );
    await fs.writeFile(
      path.join(units, 'dropbox-sync.service'),
      `[Service]\nUser=pi\nWorkingDirectory=${hub.root}\nExecStart=/usr/bin/python3 ${hub.root}/sync_to_dropbox.py\nRestart=always\nRestartSec=60\n`,
    );
    const current = defaultSettings('/home/pi');
    const plan = await prepareLegacyImport({ root: hub.root, current, unitDirs: [units] });
    const lf = path.join(hub.root, 'logging-folder');
    assert.equal(plan.settings.watchDir, path.join(lf, '2_tosync'));
    assert.equal(plan.settings.transitDir, path.join(lf, '3_transit'));
    assert.equal(plan.settings.archiveDir, path.join(lf, '4_synced'));
    assert.equal(plan.settings.archiveMustBeMountPoint, false, 'local folder: no mount check');
    assert.equal(plan.settings.site, 'Site3_Lakeshore');
    assert.equal(plan.settings.remoteRootTemplate, '/Professional/WIRED/{site}');
    assert.ok(validateSettings(plan.settings, { home: '/home/pi' }).ok);
    assert.deepEqual(plan.report.changes.map((c) => c.field).sort(), [
      'archiveDir',
      'archiveMustBeMountPoint',
      'remoteRootTemplate',
      'site',
      'transitDir',
      'watchDir',
    ]);
    const notes = (plan.report.notes ?? []).join('\n');
    assert.match(
      notes,
      /1_inprogress holds files the loggers are still writing: it is never watched/,
    );
    for (const key of Object.keys(hub.config).filter((k) => k !== 'SITE' && k !== 'SD_CARD_NAME'))
      assert.match(notes, new RegExp(`"${key}" in the old config\\.json belongs to the loggers`));
    const warnings = plan.report.warnings.join('\n');
    assert.match(warnings, /sudo systemctl disable --now dropbox-sync\.service$/m);
    assert.doesNotMatch(warnings, /rdl-logger-usb0/, 'a logger is never named as the syncer');
    assert.doesNotMatch(warnings, /placeholder/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('older hub (plain names), Orange Pi (card name set), no SD_CARD_NAME key: each mapped', async () => {
  const dir = await temp();
  try {
    const current = defaultSettings('/home/pi');
    const old = await olderPlainHub(path.join(dir, 'old'));
    const p1 = await prepareLegacyImport({ root: old.root, current, unitDirs: [] });
    assert.deepEqual(
      [p1.settings.watchDir, p1.settings.transitDir, p1.settings.archiveDir],
      ['tosync', 'transit', 'synced'].map((n) => path.join(old.root, n)),
    );
    assert.equal(p1.settings.archiveMustBeMountPoint, false);
    assert.match(
      p1.report.warnings.join('\n'),
      /systemctl list-units --type=service \| grep -i sync/,
    );

    // The config given by path: the layout is found beside it.
    const opi = await orangePiHub(path.join(dir, 'orangepi', 'rdl'));
    const p2 = await prepareLegacyImport({
      configJsonPath: path.join(opi.root, 'config.json'),
      current,
      unitDirs: [],
    });
    assert.equal(p2.settings.archiveDir, '/media/orangepi/SD1');
    assert.equal(p2.settings.archiveMustBeMountPoint, true, 'a card: only while mounted');
    assert.equal(p2.settings.watchDir, path.join(opi.root, 'tosync'));
    assert.equal(p2.settings.site, 'Site0_Montreal');

    const nokey = await noCardKeyHub(path.join(dir, 'nokey'));
    const p3 = await prepareLegacyImport({ root: nokey.root, current, unitDirs: [] });
    assert.equal(p3.settings.archiveDir, path.join(nokey.root, 'logging-folder', '4_synced'));
    assert.match((p3.report.notes ?? []).join('\n'), /SD_CARD_NAME is not set: the archive is/);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('placeholder site names are flagged; refusals name the fix', async () => {
  assert.match(placeholderSiteReason('SiteX_Dummy') ?? '', /placeholder/);
  assert.match(placeholderSiteReason('Site_Dummy') ?? '', /placeholder/);
  assert.match(placeholderSiteReason('  ') ?? '', /empty/);
  assert.match(placeholderSiteReason('Site_Template') ?? '', /placeholder/);
  assert.match(placeholderSiteReason('example-site') ?? '', /placeholder/);
  // Now that a placeholder holds the uploads: whole words only.
  for (const real of [
    'Site0_Montreal',
    'Site16_Agrotunnel_3',
    'Lake',
    'Sitex2',
    'Site7_Templates',
    'Site8_Counterexamples',
  ]) {
    assert.equal(placeholderSiteReason(real), null, real);
  }
  const dir = await temp();
  try {
    const current = defaultSettings('/home/pi');
    const clone = await currentPiHub(path.join(dir, 'clone'), 'SiteX_Dummy');
    const plan = await prepareLegacyImport({ root: clone.root, current, unitDirs: [] });
    assert.match(
      plan.report.warnings.join('\n'),
      /SITE: the site name "SiteX_Dummy" looks like a placeholder.*until then uploads wait \(the archive copy goes on\), so nothing goes to \/Professional\/WIRED\/SiteX_Dummy,/,
    );
    // Local archive but no folders to be found: refused, naming --root.
    const lonely = path.join(dir, 'lonely');
    await fs.mkdir(lonely);
    await fs.writeFile(
      path.join(lonely, 'config.json'),
      '{"SITE": "Site2_X2", "SD_CARD_NAME": ""}',
    );
    await assert.rejects(
      prepareLegacyImport({
        configJsonPath: path.join(lonely, 'config.json'),
        current,
        unitDirs: [],
      }),
      (e: unknown) =>
        e instanceof LegacyImportError &&
        /SD_CARD_NAME is empty .* no logging folder .* --root/.test(e.message),
    );
    await assert.rejects(
      prepareLegacyImport({ root: path.join(dir, 'nowhere'), current }),
      /--root .*nowhere is not a folder/,
    );
    await assert.rejects(prepareLegacyImport({ root: lonely + '-x', current }), /not a folder/);
    const empty = path.join(dir, 'empty');
    await fs.mkdir(empty);
    await assert.rejects(
      prepareLegacyImport({ root: empty, current }),
      /No config\.json in .*empty: give its path with --config/,
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('the old syncer’s unit is found by its folder and a sync command, never guessed', async () => {
  const dir = await temp();
  try {
    await fs.writeFile(
      path.join(dir, 'other-sync.service'),
      '[Service]\nWorkingDirectory=/home/pi/OTHER\nExecStart=/usr/bin/python3 sync.py\n',
    );
    await fs.writeFile(
      path.join(dir, 'rdl-sync.service'),
      '[Service]\nWorkingDirectory=/home/pi/SHELF3\nExecStart=/usr/bin/rdl-sync run\n',
    );
    await fs.writeFile(
      path.join(dir, 'syncer.service'),
      '[Service]\nExecStart=/usr/bin/python3 /home/pi/SHELF3/sync.py\n',
    );
    assert.deepEqual(
      await findOldSyncerUnits([dir, path.join(dir, 'missing')], '/home/pi/SHELF3'),
      ['syncer.service'],
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a card not mounted at /media/orangepi/<SD_CARD_NAME> at import time is said, with where a card of that name is mounted instead', async (t) => {
  if (!(await canMount())) return t.skip('this machine cannot mount a tmpfs');
  const dir = await temp();
  // A name with a space (a card's label as the desktop shows it), unique to this run.
  const cardName = `RDL CARD ${path.basename(dir).slice(-6)}`;
  const elsewhere = path.join(dir, 'media', 'pi', cardName);
  let mounted = false;
  try {
    const hub = await orangePiHub(path.join(dir, 'orangepi'));
    await fs.writeFile(
      path.join(hub.root, 'config.json'),
      JSON.stringify({ SD_CARD_NAME: cardName, SITE: 'Site0_Montreal' }),
    );
    const current = defaultSettings('/home/orangepi');
    const plan = () => prepareLegacyImport({ root: hub.root, current, unitDirs: [] });

    const out = (await plan()).report.warnings.join('\n');
    assert.match(
      out,
      new RegExp(
        `^No card is mounted at /media/orangepi/${cardName} now: insert the card "${cardName}" \\(or correct archiveDir with .*\\); until then files wait safely in transit$`,
        'm',
      ),
    );

    // Raspberry Pi OS mounts a card at /media/<user>/<label>: a card of that name mounted elsewhere.
    await fs.mkdir(elsewhere, { recursive: true });
    mountTmpfs(elsewhere, 64);
    mounted = true;
    const p = await plan();
    assert.equal(p.settings.archiveDir, `/media/orangepi/${cardName}`, 'the old path is kept');
    assert.match(
      p.report.warnings.join('\n'),
      new RegExp(
        `^No card is mounted at /media/orangepi/${cardName} now, but one named "${cardName}" is mounted at ${elsewhere}: if that is the archive card, \`rdl-sync settings set archiveDir "${elsewhere}"\``,
        'm',
      ),
    );
  } finally {
    if (mounted) unmount(elsewhere);
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('importing while the old syncer still runs: its process is named (a logger is not)', async (t) => {
  if (process.platform !== 'linux') return t.skip('/proc is Linux only');
  const dir = await temp();
  const children: ChildProcess[] = [];
  try {
    const hub = await currentPiHub(path.join(dir, 'home', 'pi', 'SHELF3'));
    // The old syncer and a logger, as their services run them: in the hub's folder, for good.
    for (const script of ['sync_to_dropbox.sh', 'rdl_logger.sh'])
      await fs.writeFile(path.join(hub.root, script), 'read forever\n'); // blocks on its stdin
    const start = (script: string): ChildProcess => {
      const c = spawn('/bin/sh', [path.join(hub.root, script)], {
        cwd: hub.root,
        stdio: ['pipe', 'ignore', 'ignore'],
      });
      children.push(c);
      return c;
    };
    const syncer = start('sync_to_dropbox.sh');
    start('rdl_logger.sh');
    const current = defaultSettings('/home/pi');
    const plan = await prepareLegacyImport({ root: hub.root, current, unitDirs: [] });
    const warnings = plan.report.warnings.join('\n');
    assert.match(
      warnings,
      new RegExp(
        `^The old syncer is running now \\(pid ${syncer.pid}: [^)]*\\): stop it before`,
        'm',
      ),
    );
    assert.equal(warnings.match(/pid \d+/g)?.length, 1, `only the syncer: ${warnings}`);

    for (const c of children) c.kill('SIGKILL');
    await Promise.all(children.map((c) => new Promise((r) => c.once('exit', r))));
    const after = await prepareLegacyImport({ root: hub.root, current, unitDirs: [] });
    assert.doesNotMatch(after.report.warnings.join('\n'), /is running now/);
  } finally {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await fs.rm(dir, { recursive: true, force: true });
  }
});
