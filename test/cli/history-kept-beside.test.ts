// A file placed beside a different file of its name (keep both): each destination numbers its own
// copy, so the names on Dropbox and on the card may differ, and a `name (1)` is what a merge tool
// reads as more data. `history` said "dropbox: ok  archive: ok" and the log named only some of
// them. Now `history` gives the name each copy has, and the log warns of each. The real CLI
// against the Dropbox emulator; a card folder with someone else's file on it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli } from './cli-harness.js';

test('history and the log name the copies kept beside a different file of the same name', async () => {
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-cli-kept-beside-');
  try {
    await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Beside' }), emulator);
    const cli = (...args: string[]) =>
      runCli([...args, '--config-dir', dirs.configDir], { home: dirs.root });
    const usb0 = path.join(dirs.watchDir, 'RDL', 'USB0');
    await fs.mkdir(usb0, { recursive: true });
    for (const name of ['a.csv', 'b.csv', 'c.csv'])
      await fs.writeFile(path.join(usb0, name), `${name}\n`);
    // Someone else's a.csv on Dropbox, and someone else's b.csv on the card.
    emulator.putFile('/RDL/Beside/RDL/USB0/a.csv', Buffer.from('not ours\n'));
    await fs.mkdir(path.join(dirs.archiveDir, 'RDL', 'USB0'), { recursive: true });
    await fs.writeFile(path.join(dirs.archiveDir, 'RDL', 'USB0', 'b.csv'), 'not ours either\n');

    const r = await cli('sync');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(emulator.getFile('/RDL/Beside/RDL/USB0/a (1).csv'), 'beside the other a.csv');
    const history = (await cli('history')).stdout;
    const line = (name: string): string =>
      history.split('\n').find((l) => l.includes(`RDL/USB0/${name} `)) ?? history;
    assert.match(line('a.csv'), /dropbox: ok as "a \(1\)\.csv" {2}archive: ok$/);
    assert.match(line('b.csv'), /dropbox: ok {2}archive: ok as "b \(1\)\.csv"$/);
    assert.match(line('c.csv'), /dropbox: ok {2}archive: ok$/, 'its own name: nothing more said');

    const logs = await fs.readdir(path.join(dirs.configDir, 'logs'));
    const log = (
      await Promise.all(logs.map((f) => fs.readFile(path.join(dirs.configDir, 'logs', f), 'utf8')))
    ).join('\n');
    const warned = log.split('\n').filter((l) => l.includes('kept beside it'));
    assert.equal(warned.length, 2, warned.join('\n'));
    assert.ok(warned.some((l) => l.includes('a (1).csv') && l.includes('upload')));
    assert.ok(warned.some((l) => l.includes('b (1).csv') && l.includes('archive')));
  } finally {
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
