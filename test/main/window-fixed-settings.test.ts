// A window that saved `alertCommand: /bin/sh` and then pressed "Send test alert" made main run a
// shell on its word, and one that saved another `dropboxEndpoint` had main send the Dropbox
// refresh token there at the next pass (security review: were the sandboxed renderer ever taken
// over, the sandbox would mean nothing). Main now refuses a change to either from the window,
// naming the command that sets it; the form shows them read-only; the CLI still sets them. A real
// engine behind main's real IPC handlers and dispatcher.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Settings } from '../../src/engine/settings/schema.js';
import type { SettingField } from '../../src/shared/ipc.js';
import { mainFor, own } from './real-main.js';
import { withHarness } from '../engine/harness.js';
import { runCli } from '../cli/cli-harness.js';

test('the window cannot change the alert command or the Dropbox endpoint; the CLI can', async () => {
  await withHarness({}, async (h) => {
    const dispatch = mainFor(h);
    const file = path.join(h.configDir, 'config.json');
    const before = await fs.readFile(file, 'utf8');
    const loaded = await dispatch('getSettings', own, []);
    const form = { ...(loaded.ok ? (loaded.value as Settings) : ({} as Settings)) };

    const shell = await dispatch('saveSettings', own, [
      { ...form, alertCommand: '/bin/sh', site: 'S$(id>pwned)' },
      form,
    ]);
    assert.deepEqual(shell.ok && shell.value, {
      ok: false,
      issues: [
        {
          field: 'alertCommand',
          message:
            'Set with the command line, not here (a program RDL Sync runs): rdl-sync settings set alertCommand /path/to/program',
        },
      ],
    });
    const endpoint = await dispatch('saveSettings', own, [
      { ...form, dropboxEndpoint: 'http://127.0.0.1:9/capture' },
      form,
    ]);
    assert.deepEqual(
      endpoint.ok && (endpoint.value as { issues: { field: string }[] }).issues.map((i) => i.field),
      ['dropboxEndpoint'],
    );
    // Without what the form was filled with, against the settings in force.
    const whole = await dispatch('saveSettings', own, [{ ...form, alertCommand: '/bin/sh' }]);
    assert.equal(whole.ok && (whole.value as { ok: boolean }).ok, false);
    assert.equal(await fs.readFile(file, 'utf8'), before, 'nothing written');
    assert.equal(h.engine.getSettings().alertCommand, form.alertCommand);

    // The form shows them read-only, saying how they are set.
    const fields = await dispatch('getSettingsFields', own, []);
    const fixed = (fields.ok ? (fields.value as SettingField[]) : []).filter((f) => f.fixed);
    assert.deepEqual(
      fixed.map((f) => f.key),
      ['dropboxEndpoint', 'alertCommand'],
    );

    // A save of other fields, with these as they were, goes through.
    const other = await dispatch('saveSettings', own, [{ ...form, intervalSeconds: 33 }, form]);
    assert.equal(other.ok && (other.value as { ok: boolean }).ok, true, JSON.stringify(other));
    assert.equal(h.engine.getSettings().intervalSeconds, 33);

    // At the machine's command line they are set as before.
    const cli = await runCli(
      ['settings', 'set', 'alertCommand', '/bin/true', '--config-dir', h.configDir],
      { home: h.root },
    );
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
    assert.equal(JSON.parse(await fs.readFile(file, 'utf8')).alertCommand, '/bin/true');
  });
});

// A settings file that cannot be used is replaced by the whole form, so a page claiming it had
// loaded the value it sends would have had it written: held to the settings in force then.
test('with a settings file that cannot be used, a page cannot pass a fixed setting off as loaded', async () => {
  await withHarness({ engine: { watchConfig: true } }, async (h) => {
    const dispatch = mainFor(h);
    const file = path.join(h.configDir, 'config.json');
    const form = { ...h.engine.getSettings() };
    // A hand edit's mistake: the file can no longer be used as it is.
    const json = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    await fs.writeFile(file, JSON.stringify({ ...json, intervalSeconds: 'ten' }));
    for (let i = 0; i < 100; i++) {
      if (h.engine.getStatus().problems.some((p) => p.code === 'settings-invalid')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(h.engine.getStatus().problems.some((p) => p.code === 'settings-invalid'));
    const claimed = { ...form, alertCommand: '/bin/sh' };
    const saved = await dispatch('saveSettings', own, [claimed, claimed]);
    assert.deepEqual(
      saved.ok && (saved.value as { issues?: { field: string }[] }).issues?.map((i) => i.field),
      ['alertCommand'],
    );
    assert.notEqual(JSON.parse(await fs.readFile(file, 'utf8')).alertCommand, '/bin/sh');
  });
});
