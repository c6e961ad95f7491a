// `rdl-sync once` as a separate process against the Dropbox emulator: files end on Dropbox and on
// the SD card with matching hashes; with the card folder absent it exits 1, says so, and keeps
// every file queued in transit (nothing is lost, nothing lands where the card should be).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig, listFilesRel, localHash } from '../engine/harness.js';
import { runCli, writeFileIn } from './cli-harness.js';

let emulator: Emulator;
const roots: string[] = [];

before(async () => {
  emulator = await startEmulator({});
});

after(async () => {
  await emulator.close();
  for (const r of roots) await fs.rm(r, { recursive: true, force: true });
});

const FILES: Record<string, string> = {
  'RDL/USB0/2026-11-24.csv':
    'timestamp,temperature_c,humidity_pct\n2026-11-24T08:00:00Z,4.2,81\n2026-11-24T08:00:10Z,4.3,80\n',
  'RDL/USB1/2026-11-24.csv': 'timestamp,conductivity_us\n2026-11-24T08:00:00Z,212\n',
  'cameras/cam1/0001.jpg': '\xff\xd8\xff\xe0 not really a jpeg \xff\xd9',
};

test('files the old syncer had already uploaded and archived are counted as already there, not as uploads', async () => {
  const dirs = await makeDirs('rdl-cli-once-there-');
  roots.push(dirs.root);
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Switched' }), emulator);
  // A hub switched over: its queue holds two files the old syncer had sent and copied, and a new one.
  for (const [rel, body] of Object.entries(FILES)) await writeFileIn(dirs.transitDir, rel, body);
  for (const rel of Object.keys(FILES).slice(0, 2)) {
    emulator.putFile(`/RDL/Switched/${rel}`, Buffer.from(FILES[rel]!, 'latin1'));
    await writeFileIn(dirs.archiveDir, rel, FILES[rel]!);
  }

  const r = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(
    r.stdout,
    /^Staged 0, uploaded 3 \(2 already there\), archived 3 \(2 already there\), done 3; 0 still queued in transit\.$/m,
  );
});

test('once moves every file to Dropbox and to the SD card, exit 0', async () => {
  const dirs = await makeDirs('rdl-cli-once-');
  roots.push(dirs.root);
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Lake' }), emulator);
  for (const [rel, body] of Object.entries(FILES)) await writeFileIn(dirs.watchDir, rel, body);

  const r = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /Staged 3, uploaded 3, archived 3, done 3; 0 still queued in transit\./);

  assert.deepEqual(await listFilesRel(dirs.watchDir), []);
  assert.deepEqual(
    await listFilesRel(dirs.transitDir),
    [],
    'transit emptied only when both legs are done',
  );
  assert.deepEqual(await listFilesRel(dirs.archiveDir), Object.keys(FILES).sort());
  for (const rel of Object.keys(FILES)) {
    const onCard = await localHash(path.join(dirs.archiveDir, rel));
    const remote = emulator.getFile(`/RDL/Lake/${rel}`);
    assert.ok(remote, `${rel} on Dropbox`);
    assert.equal(remote.contentHash, onCard, `${rel}: Dropbox and SD card hold the same bytes`);
    assert.equal(
      await fs.readFile(path.join(dirs.archiveDir, rel), 'utf8'),
      FILES[rel],
      `${rel} content`,
    );
  }
});

test('once with the archive folder absent: exit 1, says so, files stay in transit', async () => {
  const dirs = await makeDirs('rdl-cli-nocard-');
  roots.push(dirs.root);
  const card = path.join(dirs.root, 'media', 'SD1');
  await writeConfig(
    dirs.configDir,
    testSettings(dirs, emulator, {
      site: 'Pond',
      archiveDir: card,
      archiveMustBeMountPoint: false,
    }),
    emulator,
  );
  for (const [rel, body] of Object.entries(FILES)) await writeFileIn(dirs.watchDir, rel, body);

  const r = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /0 done|done 0/);
  // A plain folder (not a mounted card): no "insert the card" for it.
  assert.match(
    r.stdout,
    new RegExp(`Archive folder ${card} does not exist: if its disk is not mounted, mount it`),
  );
  assert.match(r.stdout, /files wait safely in transit/);

  assert.deepEqual(await listFilesRel(dirs.transitDir), Object.keys(FILES).sort());
  await assert.rejects(fs.stat(card), { code: 'ENOENT' }, 'the card folder is never created');
  // The Dropbox leg is independent of the card: those copies are already there.
  for (const rel of Object.keys(FILES)) assert.ok(emulator.getFile(`/RDL/Pond/${rel}`), rel);

  // The card comes back: the next run finishes the queue.
  await fs.mkdir(card, { recursive: true });
  const again = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.deepEqual(await listFilesRel(dirs.transitDir), []);
  assert.deepEqual(await listFilesRel(card), Object.keys(FILES).sort());
});

test('once over a timed pause that has ended clears it in the settings file and syncs', async () => {
  // `once` loads the settings writer only when the file holds a pause (settings/store.ts,
  // settingsFileNeeds): this is the one write it makes.
  const dirs = await makeDirs('rdl-cli-ended-pause-');
  roots.push(dirs.root);
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Weir' }), emulator);
  const file = path.join(dirs.configDir, 'config.json');
  const settings = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  settings.state = { paused: true, pausedUntilMs: Date.now() - 60_000 };
  await fs.writeFile(file, JSON.stringify(settings, null, 2));
  await writeFileIn(dirs.watchDir, 'RDL/USB0/2026-11-25.csv', 'timestamp,level_m\n');

  const r = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /done 1; 0 still queued in transit\./);
  const after = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  assert.deepEqual(
    after.state,
    { paused: false, pausedUntilMs: null },
    'the ended pause is cleared',
  );
  assert.ok(emulator.getFile('/RDL/Weir/RDL/USB0/2026-11-25.csv'));
});
