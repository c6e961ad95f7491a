// `rdl-sync settings set` goes through the engine's settings service: what it refuses, it
// refuses with the very message the engine (the window's path) gives, and it writes nothing.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { createEngine, defaultSettings } from '../../src/engine/index.js';
import { CONFIG_VERSION } from '../../src/engine/settings/migrations.js';
import { cliSandbox, runCli, writeSettingsFile } from './cli-harness.js';

const { root, env, configDir } = cliSandbox('rdl-cli-one-validate-');

let settings: Record<string, unknown>;

before(async () => {
  const watchDir = path.join(root, 'tosync');
  await fs.mkdir(watchDir);
  settings = {
    ...defaultSettings(env.home),
    watchDir,
    transitDir: path.join(root, 'transit'),
    archiveDir: path.join(root, 'sd'),
    archiveMustBeMountPoint: false,
    site: 'Lake',
  };
  await writeSettingsFile(configDir, settings);
});

/** What the engine facade says about `patch` (the window's save path). */
async function engineIssues(patch: Record<string, unknown>): Promise<string[]> {
  const engine = await createEngine({ configDir, home: env.home, readOnly: true });
  try {
    const r = engine.validateSettings({ ...settings, ...patch });
    assert.ok(!r.ok, 'the engine refuses it too');
    return r.issues.map((i) => `  - ${i.field}: ${i.message}`);
  } finally {
    await engine.stop();
  }
}

test('settings set refuses a bad cron and a bad remote root with the engine’s own messages', async () => {
  const file = path.join(configDir, 'config.json');
  const before_ = await fs.readFile(file, 'utf8');
  const cases: [Record<string, string>, string[]][] = [
    [{ scheduleMode: 'cron', cron: '0 0 31 2 *' }, ['scheduleMode', 'cron', 'cron', '0 0 31 2 *']],
    [{ remoteRootTemplate: '/Data/{nosuchfield}' }, ['remoteRootTemplate', '/Data/{nosuchfield}']],
  ];
  for (const [patch, args] of cases) {
    const expected = await engineIssues(patch);
    assert.ok(expected.length > 0);
    const r = await runCli(['settings', 'set', ...args, '--config-dir', configDir], env);
    assert.equal(r.code, 2, r.stdout);
    assert.match(r.stdout, /^Not saved:/m);
    for (const line of expected) assert.ok(r.stdout.includes(line), `${line}\nnot in\n${r.stdout}`);
  }
  assert.equal(await fs.readFile(file, 'utf8'), before_, 'nothing was written');
});

test('settings set refuses to overwrite a file written by a newer build', async () => {
  const dir = path.join(root, 'newer');
  await fs.mkdir(dir);
  const text = JSON.stringify({ ...settings, configVersion: CONFIG_VERSION + 1 });
  await fs.writeFile(path.join(dir, 'config.json'), text);
  const r = await runCli(['settings', 'set', 'intervalSeconds', '30', '--config-dir', dir], env);
  assert.equal(r.code, 2, r.stdout);
  assert.match(r.stdout, /written by a newer RDL Sync/);
  assert.equal(await fs.readFile(path.join(dir, 'config.json'), 'utf8'), text);
});

test('a value of the wrong type written by hand is fixed by the command the alert gives (settings set KEY VALUE)', async () => {
  // The waiting service's alert says "To fix it: rdl-sync settings set stableSeconds VALUE". The
  // value typed was read as the type of the value in the file, the wrong one being fixed: "30"
  // stayed text and was refused as "must be a number (got "30")".
  const file = path.join(configDir, 'config.json');
  const before_ = await fs.readFile(file, 'utf8');
  try {
    await fs.writeFile(
      file,
      JSON.stringify({ ...settings, stableSeconds: 'ten', alertEmailTo: 'tech@example.org' }),
    );
    const r = await runCli(
      [
        'settings',
        'set',
        'stableSeconds',
        '30',
        'alertEmailTo',
        'tech@example.org',
        'alertEmailFrom',
        'hub@example.org',
        'smtpHost',
        'smtp.example.org',
        '--config-dir',
        configDir,
      ],
      env,
    );
    assert.equal(r.code, 0, r.stdout);
    const saved = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    assert.equal(saved.stableSeconds, 30);
    assert.deepEqual(saved.alertEmailTo, ['tech@example.org']);
    const check = await runCli(['settings', 'check', '--config-dir', configDir], env);
    assert.equal(check.code, 0, check.stdout);
  } finally {
    await fs.writeFile(file, before_);
  }
});
