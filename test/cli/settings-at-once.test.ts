// Several `rdl-sync settings set` (and a `pause`) run at the same moment, as a set-up script run
// with `&` or two people on one hub do: every command said its value was saved, and every value
// must be in the file afterwards. Each command read the file, changed its key and wrote the whole
// file back, so the last writer dropped the others' changes (in a shell loop, 15 of 21 pairs lost
// one): the hub then ran with a setting a person had been told was saved.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cliSandbox } from './cli-harness.js';

const { root, configDir, cli } = cliSandbox('rdl-cli-settings-at-once-');

before(async () => {
  for (const dir of ['watch', 'transit', 'archive']) await fs.mkdir(path.join(root, dir));
});

test('settings set commands run together: each one saves its change, none is lost', async () => {
  const setUp = await cli(
    'settings',
    'set',
    'watchDir',
    path.join(root, 'watch'),
    'transitDir',
    path.join(root, 'transit'),
    'archiveDir',
    path.join(root, 'archive'),
    'archiveMustBeMountPoint',
    'false',
    'site',
    'Site7_Farm',
  );
  assert.equal(setUp.code, 0, setUp.stdout + setUp.stderr);

  for (let round = 1; round <= 2; round++) {
    const wanted: Record<string, number> = {
      intervalSeconds: 20 + round,
      stableSeconds: 70 + round,
      concurrency: 2 + round,
      historyLimit: 1000 + round,
      alertReminderHours: 10 + round,
      fleetHeartbeatMinutes: 20 + round,
    };
    const [paused, ...sets] = await Promise.all([
      cli('pause', '--for', '1h'),
      ...Object.entries(wanted).map(([k, v]) => cli('settings', 'set', k, String(v))),
    ]);
    assert.equal(paused!.code, 0, paused!.stdout + paused!.stderr);
    for (const r of sets) assert.equal(r.code, 0, r.stdout + r.stderr);

    const saved = JSON.parse(
      await fs.readFile(path.join(configDir, 'config.json'), 'utf8'),
    ) as Record<string, unknown> & { state?: { paused?: boolean } };
    for (const [k, v] of Object.entries(wanted))
      assert.equal(
        saved[k],
        v,
        `round ${round}: ${k} was said saved as ${v}, the file has ${String(saved[k])}`,
      );
    assert.equal(saved.state?.paused, true, `round ${round}: the pause was said saved`);
    assert.equal(saved.site, 'Site7_Farm', 'the earlier settings are kept too');

    const resumed = await cli('resume');
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
  }
  // The lock is gone once the commands are: nothing left to block the next one.
  assert.deepEqual(
    (await fs.readdir(configDir)).filter((n) => n.startsWith('settings.lock')),
    [],
  );
});
