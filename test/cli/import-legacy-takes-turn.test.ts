// `rdl-sync import-legacy` writes the settings file like `settings set` and the window do, and
// now in turn with them (settings.lock). It wrote without the lock: in the middle of another
// writer's read and write, one of the two changes was lost while both had said it was saved.
// Here another program holds the lock and hangs: the import must wait, then say so and change
// nothing, never write over the other edit.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cliSandbox, runCli } from './cli-harness.js';
import { currentPiHub } from '../legacy/fixtures.js';

const { root, env } = cliSandbox('rdl-cli-legacy-turn-');

test('import-legacy while another program holds the settings lock: it says so and saves nothing', async () => {
  const hub = path.join(root, 'SHELF3');
  await currentPiHub(hub, 'Site7_Farm');
  const configDir = path.join(root, 'settings');
  await fs.mkdir(configDir, { recursive: true });
  const lockModule = new URL('../../src/engine/run-lock.ts', import.meta.url).href;
  // A stuck `rdl-sync settings set`: it took the lock and never lets go.
  const holder = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '-e',
      `import { tryLockFile } from ${JSON.stringify(lockModule)};
       const got = await tryLockFile(${JSON.stringify(configDir)}, 'settings.lock');
       console.log('lock' in got ? 'held' : 'busy');
       setInterval(() => {}, 60_000);`,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const [first] = (await once(holder.stdout!, 'data')) as [Buffer];
    assert.equal(first.toString().trim(), 'held');

    const r = await runCli(['import-legacy', '--root', hub, '--config-dir', configDir], env);

    const said = r.stdout + r.stderr;
    assert.notEqual(r.code, 0, said);
    assert.match(said, new RegExp(`pid ${holder.pid}\\b`), said);
    assert.match(said, /the settings were not changed/, said);
    await assert.rejects(
      fs.access(path.join(configDir, 'config.json')),
      'no settings written while the other edit was under way',
    );
  } finally {
    holder.kill();
    await once(holder, 'exit').catch(() => undefined);
  }
});
