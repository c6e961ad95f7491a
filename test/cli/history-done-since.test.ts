// `rdl-sync history --failures` after the cause was fixed: the file's failure is history, and the
// line says the file was done since. Before, "FAILED … a.csv" stood there as if still open. The
// real CLI against the Dropbox emulator: a file on Dropbox where the file's folder should be
// (failing three times, asked for each time by `sync`), then deleted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli } from './cli-harness.js';

test('history --failures says of a failure since put right that the file was done since, and when', async () => {
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-cli-history-since-');
  try {
    await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Since' }), emulator);
    const cli = (...args: string[]) =>
      runCli([...args, '--config-dir', dirs.configDir], { home: dirs.root });
    await fs.mkdir(path.join(dirs.watchDir, 'RDL', 'USB0'), { recursive: true });
    await fs.writeFile(path.join(dirs.watchDir, 'RDL', 'USB0', 'a.csv'), 't,v\n1,2\n');
    emulator.putFile('/RDL/Since/RDL/USB0', Buffer.from('a file where a folder should be'));
    for (let i = 0; i < 3; i++) assert.equal((await cli('sync')).code, 1);

    const open = await cli('history', '--failures');
    assert.match(
      open.stdout,
      /^\S+ \S+ \S+ {2}FAILED {2}RDL\/USB0\/a\.csv .*dropbox: FAILED/m,
      open.stdout,
    );
    assert.doesNotMatch(open.stdout, /done since/, 'still failing: nothing done since');

    emulator.deletePath('/RDL/Since/RDL/USB0');
    assert.equal((await cli('sync')).code, 0);
    const stamp = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \S+`;
    const closed = await cli('history', '--failures');
    assert.match(
      closed.stdout,
      new RegExp(`FAILED {2}RDL/USB0/a\\.csv .*  \\(done since, at ${stamp}\\)$`, 'm'),
      closed.stdout,
    );
    const json = JSON.parse((await cli('history', '--failures', '--json')).stdout) as Array<{
      rel: string;
      finishedAtMs: number;
      doneSinceMs: number | null;
    }>;
    assert.equal(json.length, 1);
    assert.ok(json[0]!.doneSinceMs! > json[0]!.finishedAtMs, JSON.stringify(json));
  } finally {
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
