// A pause until resumed that lasts more than a day is announced: on a hub nobody watches, a pause
// forgotten (the tray's Pause over remote desktop, `rdl-sync pause`) stopped the data for good and
// told nobody (only the digest, if set up, said "Paused"). A timed pause ends by itself and is not
// announced; a fresh pause is not either. Real engine, its settings file holding the pause as
// `rdl-sync pause` saves it, and the alert command logging what the people hear.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator } from '../../tools/emulator/index.js';
import { createEngine } from '../../src/engine/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { waitFor } from '../cli/cli-harness.js';
import { alertLogHook } from './loopback.js';

const HOUR = 3_600_000;

async function engineWithPause(t: TestContext, state: Record<string, unknown>) {
  const dirs = await makeDirs('rdl-paused-long-');
  t.after(() => fs.rm(dirs.root, { recursive: true, force: true }));
  const emulator = await startEmulator();
  t.after(() => emulator.close());
  const { hook, heard } = await alertLogHook(dirs.root);
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { alertCommand: hook }), emulator);
  const file = path.join(dirs.configDir, 'config.json');
  const config = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  await fs.writeFile(file, JSON.stringify({ ...config, state }, null, 2));
  const engine = await createEngine({ configDir: dirs.configDir, home: dirs.root });
  t.after(() => engine.stop());
  return { engine, heard };
}

test('paused until resumed since yesterday: announced, naming since when and how to resume; resolved at resume', async (t) => {
  const pausedAtMs = Date.now() - 25 * HOUR;
  const { engine, heard } = await engineWithPause(t, {
    paused: true,
    pausedUntilMs: null,
    pausedAtMs,
  });
  await engine.start();
  await waitFor('the long pause announced', async () => /raised paused-long/.test(await heard()));
  const problem = engine.getStatus().problems.find((p) => p.id === 'paused-long');
  assert.ok(problem);
  const since = new Date(pausedAtMs).toISOString().slice(0, 16).replace('T', ' ');
  assert.ok(problem.message.includes(`paused since ${since} UTC`), problem.message);
  assert.match(problem.message, /rdl-sync resume, or Resume in the tray menu/);
  assert.equal(engine.getStatus().state, 'paused', 'the state word stays "paused"');

  await engine.resume();
  await waitFor('the resolved alert', async () => /cleared paused-long/.test(await heard()));
  assert.equal((await heard()).match(/raised paused-long/g)?.length, 1);
  await engine.stop();
});

test('a pause that turns a day old while the engine runs is announced then, not only at a start', async (t) => {
  // A day old in 2 s: the engine's own timer, not a restart, must notice it.
  const pausedAtMs = Date.now() - 24 * HOUR + 2_000;
  const { engine, heard } = await engineWithPause(t, {
    paused: true,
    pausedUntilMs: null,
    pausedAtMs,
  });
  await engine.start();
  assert.deepEqual(
    engine.getStatus().problems.map((p) => p.id),
    [],
    'not yet a day old at the start',
  );
  await waitFor('the long pause announced', async () => /raised paused-long/.test(await heard()));
  assert.ok(Date.now() >= pausedAtMs + 24 * HOUR, 'announced once a day old, not before');
  assert.ok(engine.getStatus().problems.some((p) => p.id === 'paused-long'));
  await engine.stop();
});

test('paused a moment ago, paused for a while, or paused by an earlier version: no alert now', async (t) => {
  for (const state of [
    { paused: true, pausedUntilMs: null, pausedAtMs: Date.now() - HOUR },
    { paused: true, pausedUntilMs: Date.now() + 48 * HOUR, pausedAtMs: Date.now() - 25 * HOUR },
    // Saved by a version that kept no start: counted from now, not taken as a day old.
    { paused: true, pausedUntilMs: null },
  ]) {
    const { engine } = await engineWithPause(t, state);
    await engine.start();
    assert.equal(engine.getStatus().state, 'paused', JSON.stringify(state));
    assert.deepEqual(
      engine.getStatus().problems.map((p) => p.id),
      [],
      JSON.stringify(state),
    );
    await engine.stop();
  }
});

test('`pause` records when it began, and a new end time keeps it', async (t) => {
  const { engine } = await engineWithPause(t, { paused: false, pausedUntilMs: null });
  await engine.pause(HOUR);
  const file = path.join(engine.configDir, 'config.json');
  const state = async () =>
    (JSON.parse(await fs.readFile(file, 'utf8')) as { state: Record<string, unknown> }).state;
  const first = (await state()).pausedAtMs as number;
  assert.ok(Math.abs(first - Date.now()) < 60_000, String(first));
  await new Promise((r) => setTimeout(r, 20));
  await engine.pause(null);
  assert.equal((await state()).pausedAtMs, first, 'the same pause, another end');
  await engine.resume();
  assert.equal((await state()).pausedAtMs, undefined);
});
