// A line lost from config.json in a hand edit (WORKLOAD.md: hand-edited JSON mistakes) was read
// over the defaults: without "watchDir" the hub silently watched ~/rdl/tosync (made for it) while
// its loggers went on writing into 2_tosync, `settings check` said the file was valid, status said
// "Up to date", and the next `settings set` of anything wrote the default in for good. A file RDL
// Sync wrote (it has configVersion and every setting) that lacks one of the settings it always
// writes is a mistake now, named with the fix; a partial file written by hand still takes the
// defaults for what it does not name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { makeDirs } from '../engine/harness.js';
import { runCli } from './cli-harness.js';

test('a setting lost from a file RDL Sync wrote is a mistake named with its fix, never its default', async () => {
  const dirs = await makeDirs('rdl-cli-lost-line-');
  try {
    const env = { home: dirs.root };
    const cli = (...args: string[]) => runCli([...args, '--config-dir', dirs.configDir], env);
    const file = path.join(dirs.configDir, 'config.json');
    const first = await cli(
      ...['settings', 'set', 'watchDir', dirs.watchDir, 'transitDir', dirs.transitDir],
      ...['site', 'Site3_Lakeshore', 'archiveDir', dirs.archiveDir],
      ...['archiveMustBeMountPoint', 'false'],
    );
    assert.equal(first.code, 0, first.stdout + first.stderr);

    // The person's editor lost the watchDir line.
    const whole = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    assert.ok('configVersion' in whole, 'RDL Sync writes its version');
    delete whole.watchDir;
    const edited = JSON.stringify(whole, null, 2);
    await fs.writeFile(file, edited);
    const fallback = path.join(dirs.root, 'rdl', 'tosync');
    const words = `"watchDir" is missing from the settings file ${file} (a line lost in a hand edit?), so its default "${fallback}" would be used instead of the value set before: put the line back, or set it: rdl-sync settings set watchDir VALUE`;

    const check = await cli('settings', 'check');
    assert.equal(check.code, 2, check.stdout + check.stderr);
    assert.ok(check.stdout.includes(`- watchDir: ${words}`), check.stdout);

    // Other mistakes in the same file are named in the same round, the rules across settings too:
    // before, each came only once the one above it was fixed.
    await fs.writeFile(
      file,
      JSON.stringify({ ...whole, stableSeconds: 'ten', site: '', remoteRootTemplate: '/L/{site}' }),
    );
    const all = await cli('settings', 'check');
    assert.equal(all.code, 2, all.stdout + all.stderr);
    assert.deepEqual(
      all.stdout
        .split('\n')
        .filter((l) => l.startsWith('  - '))
        .map((l) => l.split(':')[0]),
      ['  - watchDir', '  - stableSeconds', '  - site'],
      all.stdout,
    );
    assert.match(
      all.stdout,
      /^ {2}- site: Site name is empty but the remote folder uses \{site\}/m,
    );
    await fs.writeFile(file, edited);

    // Another setting saved over it would write the default in for good: refused, file as it was.
    const other = await cli('settings', 'set', 'stableSeconds', '60');
    assert.equal(other.code, 2, other.stdout + other.stderr);
    assert.match(other.stdout, /^Not saved:$/m);
    assert.ok(other.stdout.includes(words), other.stdout);
    assert.equal(await fs.readFile(file, 'utf8'), edited, 'nothing written');

    // Set again (with the other change): saved, and valid.
    const fixed = await cli('settings', 'set', 'watchDir', dirs.watchDir, 'stableSeconds', '60');
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
    const after = await cli('settings', 'check');
    assert.equal(after.code, 0, after.stdout + after.stderr);
    const saved = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    assert.equal(saved.watchDir, dirs.watchDir);
    assert.equal(saved.stableSeconds, 60);

    // Written by hand with some settings only (no configVersion): the rest are the defaults.
    await fs.writeFile(
      file,
      JSON.stringify({
        site: 'Site3_Lakeshore',
        archiveDir: dirs.archiveDir,
        watchDir: dirs.watchDir,
      }),
    );
    const partial = await cli('settings', 'check');
    assert.doesNotMatch(partial.stdout, /is missing from the settings file/, partial.stdout);
  } finally {
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
