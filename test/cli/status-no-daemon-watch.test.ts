// `rdl-sync status` with no daemon running: nothing stages the watch folder then, and the status
// said "Waiting in watch folder: 0" over a folder full of files, when a person most needs the
// truth (the service stopped, a hub looked at over ssh). It counts them now, and moves nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { startEmulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli, writeFileIn } from './cli-harness.js';

test('no daemon: status counts the files waiting in the watch folder, one still settling among them, and moves none', async () => {
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-cli-status-watch-');
  try {
    // A stable time of an hour: the file written just now is still settling.
    await writeConfig(
      dirs.configDir,
      testSettings(dirs, emulator, { stableSeconds: 3600 }),
      emulator,
    );
    const old = new Date(Date.now() - 2 * 3_600_000);
    for (const rel of ['RDL/USB0/2026-11/a.txt', 'cameras/reolink1/2026-11-30/b.jpg']) {
      const file = await writeFileIn(dirs.watchDir, rel, `${rel}\n`);
      await fs.utimes(file, old, old);
    }
    await writeFileIn(dirs.watchDir, 'RDL/USB0/2026-12/fresh.txt', 'written just now\n');

    const out = await runCli(['status', '--config-dir', dirs.configDir], { home: dirs.root });
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /^Daemon not running\./m);
    assert.match(out.stdout, /Waiting in watch folder: 3 /);
    assert.doesNotMatch(out.stdout, /Up to date/, 'not while files wait');

    const json = await runCli(['status', '--json', '--config-dir', dirs.configDir], {
      home: dirs.root,
    });
    const counts = (JSON.parse(json.stdout) as { status: { counts: Record<string, number> } })
      .status.counts;
    assert.equal(counts.waiting, 3);
    assert.equal(counts.settling, 1, 'the fresh file is still settling');
    assert.equal(counts.transit, 0);
    // Looked at, not moved: every file is where it was, transit empty.
    const left = await fs.readdir(dirs.watchDir, { recursive: true });
    assert.equal(left.filter((f) => /\.(txt|jpg)$/.test(f)).length, 3);
    assert.deepEqual(
      (await fs.readdir(dirs.transitDir).catch(() => [])).filter((f) => !f.startsWith('.')),
      [],
    );
  } finally {
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});

// With no daemon nothing asks Dropbox: a saved account read "Dropbox: connected" on a hub that
// could not reach it at all (its network down since the last run).
test('no daemon: the Dropbox account is said not checked now, with when it was last reached; what waits for it is counted', async () => {
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-cli-status-notchecked-');
  try {
    await writeConfig(dirs.configDir, testSettings(dirs, emulator), emulator);
    await writeFileIn(dirs.watchDir, 'RDL/USB0/a.txt', 'a\n');
    const once = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
    assert.equal(once.code, 0, once.stdout + once.stderr);
    await emulator.close();
    // A file staged while Dropbox cannot be reached: on the card, waiting in transit for Dropbox.
    await writeFileIn(dirs.watchDir, 'RDL/USB0/b.txt', 'b\n');
    const offline = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
    assert.equal(offline.code, 1, offline.stdout + offline.stderr);

    const out = await runCli(['status', '--config-dir', dirs.configDir], { home: dirs.root });
    assert.equal(out.code, 0, out.stdout + out.stderr);
    // No pass is coming: not "the next pass will move it".
    assert.match(
      out.stdout,
      /^State: idle\. 1 file waits safely; nothing moves it until RDL Sync runs \(on a desktop: start the RDL Sync app; on a hub: sudo systemctl start rdl-sync; now, once: rdl-sync once\)\.$/m,
    );
    // Before, "upload pending 0" beside the file in transit: the probe counted no leg's queue.
    assert.match(
      out.stdout,
      /In transit: 1 \(upload pending 1, archive pending 0\) {3}Failing: 0$/m,
    );
    // Nothing runs: no run whose done files to count.
    assert.doesNotMatch(out.stdout, /Done this run/);
    assert.match(
      out.stdout,
      /^Dropbox: .*\n {2}\(not checked now: nothing syncs\. Last reached: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+\. rdl-sync doctor checks the connection\)$/m,
      out.stdout,
    );
  } finally {
    await emulator.close().catch(() => undefined);
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
