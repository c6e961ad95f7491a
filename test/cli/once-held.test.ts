// A file that cannot leave the watch folder (its name too long once escaped for transit) is not
// "still being written": `once` waited out the stable time for it on every run (90 s + 10 s with
// the defaults) and then said so. Now it does not wait for it, says it could not be moved and
// why, and exits 1; a good file beside it is synced.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli } from './cli-harness.js';

test('once neither waits for nor calls "still being written" a file that cannot be staged', async () => {
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-cli-held-');
  try {
    // A stable time longer than the command's own 45 s deadline: a wait for the file fails here.
    const settings = testSettings(dirs, emulator, { site: 'Held', stableSeconds: 600 });
    await writeConfig(dirs.configDir, settings, emulator);
    const hourAgo = new Date(Date.now() - 3_600_000);
    // 100 bytes that are not UTF-8: 304 bytes once escaped, too long for one name in transit.
    const bad = Buffer.concat([
      Buffer.from(`${dirs.watchDir}/`),
      Buffer.alloc(100, 0xff),
      Buffer.from('.csv'),
    ]);
    fs.writeFileSync(bad, 'x');
    fs.utimesSync(bad, hourAgo, hourAgo);
    const good = path.join(dirs.watchDir, 'good.csv');
    fs.writeFileSync(good, 't,v\n1,2\n');
    fs.utimesSync(good, hourAgo, hourAgo);

    const r = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(emulator.getFile('/RDL/Held/good.csv')?.size, 8);
    assert.doesNotMatch(r.stdout, /still being written/);
    assert.match(
      r.stdout,
      /Left 1 file in the watch folder that could not be moved to transit: .*too long for the transit folder once escaped.*shorten the file's name/,
    );
    assert.ok(fs.existsSync(bad), 'the file stays where it is');
  } finally {
    await emulator.close();
    fs.rmSync(dirs.root, { recursive: true, force: true });
  }
});
