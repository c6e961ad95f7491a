// The window's Save went through main (IPC) to the engine's settings store, which wrote the whole
// form back: a change made meanwhile by `rdl-sync settings set` (on a hub over SSH while the
// window was open over remote desktop) to a field nobody touched in the form was silently undone,
// and the save did not wait for the settings lock the CLI takes, so one made at the same moment
// could be lost too. Now the window sends what its form was filled with, and main saves only the
// fields changed from it, over the file as it is now, in turn with every other writer. A real
// engine behind main's real IPC handlers and dispatcher, real `rdl-sync` processes beside it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Settings } from '../../src/engine/settings/schema.js';
import { mainFor, own } from './real-main.js';
import { withHarness, type Harness } from '../engine/harness.js';
import { runCli } from '../cli/cli-harness.js';
import { loadSettingsWriter, openSettingsService } from '../../src/engine/index.js';

async function fileOf(
  h: Harness,
): Promise<Record<string, unknown> & { state?: { paused?: boolean } }> {
  return JSON.parse(await fs.readFile(path.join(h.configDir, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
}

const cli = (h: Harness, ...args: string[]) =>
  runCli([...args, '--config-dir', h.configDir], { home: h.root });

test('the window saves the fields changed in its form; a change made meanwhile by the CLI stays', async () => {
  await withHarness({ engine: { watchConfig: true } }, async (h) => {
    const dispatch = mainFor(h);
    // The window opens: its form is filled with the settings in force.
    const loaded = await dispatch('getSettings', own, []);
    assert.equal(loaded.ok, true);
    const form = { ...(loaded.ok ? (loaded.value as Settings) : ({} as Settings)) };

    // Meanwhile, on the hub's shell: a setting changed, and a pause.
    const [set, pause] = await Promise.all([
      cli(h, 'settings', 'set', 'intervalSeconds', '77'),
      cli(h, 'pause'),
    ]);
    assert.equal(set.code, 0, set.stdout + set.stderr);
    assert.equal(pause.code, 0, pause.stdout + pause.stderr);

    // The person changes the site in the form and presses Save.
    const saved = await dispatch('saveSettings', own, [{ ...form, site: 'Site9_Barn' }, form]);
    assert.deepEqual(saved.ok && (saved.value as { ok: boolean }).ok, true, JSON.stringify(saved));

    const file = await fileOf(h);
    assert.equal(file.site, 'Site9_Barn', 'the change made in the form is saved');
    assert.equal(file.intervalSeconds, 77, 'the CLI change made while the form was open is kept');
    assert.equal(file.state?.paused, true, 'the pause made while the form was open is kept');
    assert.equal(h.engine.getSettings().intervalSeconds, 77, 'and it is what the engine runs');
  });
});

test('a window Save made while another writer is mid-edit waits its turn: both changes are saved', async () => {
  await withHarness({}, async (h) => {
    const dispatch = mainFor(h);
    const loaded = await dispatch('getSettings', own, []);
    const form = { ...(loaded.ok ? (loaded.value as Settings) : ({} as Settings)) };
    // Another writer (as `rdl-sync settings set` does) takes the lock and reads the file...
    await loadSettingsWriter();
    const other = openSettingsService({ configDir: h.configDir, home: h.root });
    let save: ReturnType<typeof dispatch> | undefined;
    try {
      await other.edit(async () => {
        const values = other.readForEditing().values;
        // ...the person presses Save in the window at that moment...
        save = dispatch('saveSettings', own, [{ ...form, stableSeconds: 71 }, form]);
        // ...and the other writer writes its change a moment later. Not an assertion: the time a
        // Save that skipped the lock had to write (it takes milliseconds), and was then undone.
        await new Promise((r) => setTimeout(r, 300));
        assert.equal(other.save({ ...values, concurrency: 3 }).ok, true);
      });
    } finally {
      other.close();
    }
    const saved = await save!;
    assert.equal(saved.ok && (saved.value as { ok: boolean }).ok, true, JSON.stringify(saved));
    const file = await fileOf(h);
    assert.equal(file.stableSeconds, 71, "the window's change is saved");
    assert.equal(file.concurrency, 3, "the other writer's change is kept");
  });
});

test('a Save the lock keeps out too long says so and changes nothing; main answers meanwhile', async () => {
  await withHarness({}, async (h) => {
    const dispatch = mainFor(h);
    const loaded = await dispatch('getSettings', own, []);
    const form = { ...(loaded.ok ? (loaded.value as Settings) : ({} as Settings)) };
    // Another program that took the lock and hangs (a stuck `rdl-sync settings set`).
    const lockFile = new URL('../../src/engine/run-lock.ts', import.meta.url).href;
    const holder = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { tryLockFile } from ${JSON.stringify(lockFile)};
         const got = await tryLockFile(${JSON.stringify(h.configDir)}, 'settings.lock');
         console.log('lock' in got ? 'held' : 'busy');
         setInterval(() => {}, 60_000);`,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const [first] = (await once(holder.stdout!, 'data')) as [Buffer];
      assert.equal(first.toString().trim(), 'held');
      const before = await fs.readFile(path.join(h.configDir, 'config.json'), 'utf8');
      const started = Date.now();
      const save = dispatch('saveSettings', own, [{ ...form, site: 'Site9_Barn' }, form]);
      // While the Save waits its turn, main's other calls are answered (the wait never blocks).
      const status = await dispatch('getStatus', own, []);
      assert.equal(status.ok, true);
      assert.ok(Date.now() - started < 5_000, 'main answered while the Save waited');
      const saved = await save;
      assert.equal(saved.ok, false, 'the Save is refused, not silently dropped');
      if (!saved.ok) {
        assert.equal(saved.error.code, 'settings-busy');
        assert.match(saved.error.message, new RegExp(`pid ${holder.pid}\\b`));
        assert.match(saved.error.message, /the settings were not changed/);
      }
      assert.equal(
        await fs.readFile(path.join(h.configDir, 'config.json'), 'utf8'),
        before,
        'the file is as it was',
      );
    } finally {
      holder.kill();
      await once(holder, 'exit').catch(() => undefined);
    }
  });
});
