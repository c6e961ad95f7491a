// Stopping RDL Sync while its card does not answer. Node's exit waits for every thread of its
// pool, and one held by the card returned only when the card did: `systemctl stop` hung until
// systemd killed the daemon (after TimeoutStopSec, the unit marked failed), and `once` printed its
// summary and never ended. Now the process ends by the signal's own action, at once, saying why;
// the files wait in transit. The real built CLI, a real FAT32 card whose driver is stopped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { startEmulator } from '../../tools/emulator/index.js';
import { listFilesRel, makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { CardImage, cardsUnavailable, removeDir } from '../archive/helpers.js';
import {
  exited,
  killIfRunning,
  readPublishedStatus,
  runCli,
  spawnBuiltCli,
  waitFor,
  writeFileIn,
} from '../cli/cli-harness.js';

const unavailable = cardsUnavailable();

test(
  'the daemon stopped while its card does not answer ends at once, by the stop signal, files waiting in transit',
  { timeout: 180_000 },
  async (t) => {
    if (unavailable) return t.skip(unavailable);
    const dirs = await makeDirs('rdl-stop-hung-');
    const emulator = await startEmulator({});
    const card = await CardImage.create('fat32', 40);
    let daemon: ChildProcess | null = null;
    let stderr = '';
    try {
      await card.mount(dirs.archiveDir);
      await writeConfig(
        dirs.configDir,
        testSettings(dirs, emulator, { archiveMustBeMountPoint: true }),
        emulator,
      );
      const home = dirs.root;
      daemon = await spawnBuiltCli(['run', '--config-dir', dirs.configDir], { home });
      const child = daemon;
      child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      await writeFileIn(dirs.watchDir, 'RDL/USB0/before.csv', 'before\n');
      await waitFor(
        'before.csv on Dropbox and on the card',
        async () =>
          Boolean(emulator.getFile('/RDL/site1/RDL/USB0/before.csv')) &&
          (await listFilesRel(dirs.archiveDir)).includes('RDL/USB0/before.csv'),
        60_000,
      );

      // The card stops; the next pass's look at it waits on the card (its deadline is 2 min).
      const rescue = card.armThawFromOutside(90_000);
      rescue.freeze();
      const frozenAtMs = Date.now();
      await writeFileIn(dirs.watchDir, 'RDL/USB0/during.csv', 'during\n');
      await waitFor(
        'a pass begun after the card stopped',
        async () => {
          const s = (await readPublishedStatus(dirs.configDir))?.status;
          return (
            s !== undefined &&
            s.passRunning &&
            (s.lastPassMs ?? 0) < Date.now() &&
            Date.now() - frozenAtMs > 3_000
          );
        },
        60_000,
      );
      child.kill('SIGTERM');
      const end = await exited(child);
      const thawed = rescue.stop();
      // Stopped still, for the look below (its thaw armed before: see armThawFromOutside).
      const rescue2 = card.armThawFromOutside(100_000);
      rescue2.freeze();
      assert.equal(
        thawed,
        false,
        `the daemon ended while the card was stopped: ${stderr.slice(-1500)}`,
      );
      assert.deepEqual(end, { code: null, signal: 'SIGTERM' });
      assert.match(
        stderr,
        /rdl-sync: a call on the archive has not returned \(its card stopped answering\): ending by SIGTERM without waiting for it; nothing is lost, files wait in transit/,
      );

      // With no daemon, `status` looks at the card itself: it says the card does not answer
      // within its few seconds, not the 2 minutes a pass gives a card.
      const look = await runCli(['status', '--config-dir', dirs.configDir], { home });
      assert.match(look.stdout, /SD card at .* has not answered for [5-9] s: a call on it hangs/);
      // The card's own line says so too: it is in its reader, not out ("NOT PRESENT" sent a
      // person to insert a card that was inserted).
      assert.match(look.stdout, /SD card: .* — NOT ANSWERING$/m);
      assert.doesNotMatch(look.stdout, /NOT PRESENT/);
      // So do the other commands that only look at the card: a report, a retention dry run
      // (they waited a pass's 2 minutes).
      for (const args of [['report'], ['retention', '--dry-run']]) {
        const startedMs = Date.now();
        const r = await runCli([...args, '--config-dir', dirs.configDir], { home });
        const out = r.stdout + r.stderr;
        assert.match(out, /SD card at .* has not answered for [5-9] s: a call on it hangs/, out);
        assert.ok(
          Date.now() - startedMs < 60_000,
          `${args[0]} waited ${Date.now() - startedMs} ms`,
        );
      }
      assert.equal(rescue2.stop(), false, 'status answered while the card was stopped');

      // With the card back, the next start sends what waited to both.
      card.thaw();
      const once = await runCli(['once', '--config-dir', dirs.configDir], { home });
      assert.equal(once.code, 0, once.stderr);
      assert.ok((await listFilesRel(dirs.archiveDir)).includes('RDL/USB0/during.csv'));
      assert.ok(emulator.getFile('/RDL/site1/RDL/USB0/during.csv'));
      assert.deepEqual(await listFilesRel(dirs.transitDir), []);
    } finally {
      card.thaw();
      await killIfRunning(daemon);
      await card.destroy();
      await emulator.close();
      await removeDir(dirs.root);
    }
  },
);
