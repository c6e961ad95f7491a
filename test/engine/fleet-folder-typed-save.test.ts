// A fleet folder inside the site's data folder (`fleetFolder /RDL/Site7_Farm/fleet` with the
// remote folder /RDL/{site}) was saved without a word; the hub synced on, and only the Fleet tab
// said, much later, that no heartbeat was ever written. A save from the window now refuses it
// when one of the fields deciding it was typed, with the fix in the window's words, and writes
// nothing; an old value already in the file does not block saving other fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withHarness } from './harness.js';

test('a window save refuses a fleet folder inside the data folder, names the fix, writes nothing', async () => {
  await withHarness(
    { settings: { site: 'Site7_Farm', remoteRootTemplate: '/RDL/{site}' } },
    async (h) => {
      const file = path.join(h.configDir, 'config.json');
      const before = await fs.readFile(file, 'utf8');
      const form = { ...h.engine.getSettings() };
      assert.equal(form.fleetHeartbeatEnabled, true, 'the heartbeat is on by default');

      const inside = await h.engine.saveSettings(
        { ...form, fleetFolder: '/rdl/site7_farm/fleet', intervalSeconds: 9 },
        form,
      );
      assert.deepEqual(!inside.ok && inside.issues, [
        {
          field: 'fleetFolder',
          message:
            "Heartbeats would go to /rdl/site7_farm/fleet, inside this site's data folder /RDL/Site7_Farm, and be mixed into its data: leave Fleet folder empty (beside the site folders) or choose a folder outside /RDL/Site7_Farm",
        },
      ]);
      // A site named like the default fleet folder puts the data where the heartbeats go.
      const site = await h.engine.saveSettings({ ...form, site: '_fleet' }, form);
      assert.equal(!site.ok && site.issues[0]!.field, 'site');
      assert.match(!site.ok ? site.issues[0]!.message : '', /choose another site name/);
      assert.equal(await fs.readFile(file, 'utf8'), before, 'nothing written');

      // The live check shows it while the person types.
      const live = h.engine.validateSettings({ ...form, fleetFolder: '/RDL/Site7_Farm' });
      assert.deepEqual(!live.ok && live.issues.map((i) => i.field), ['fleetFolder']);
      // With the heartbeat off the folder is never written to: nothing to refuse.
      const off = await h.engine.saveSettings(
        { ...form, fleetHeartbeatEnabled: false, fleetFolder: '/RDL/Site7_Farm/fleet' },
        form,
      );
      assert.ok(off.ok, JSON.stringify(off));

      const beside = await h.engine.saveSettings(
        { ...h.engine.getSettings(), fleetHeartbeatEnabled: true, fleetFolder: '/RDL/_hubs' },
        h.engine.getSettings(),
      );
      assert.ok(beside.ok, JSON.stringify(beside));
      assert.equal(h.engine.getSettings().fleetFolder, '/RDL/_hubs');
    },
  );
});

test('a fleet folder already inside the data folder in the file does not stop saving other fields', async () => {
  await withHarness(
    { settings: { site: 'Site7_Farm', fleetFolder: '/RDL/Site7_Farm/_fleet' } },
    async (h) => {
      const form = { ...h.engine.getSettings() };
      assert.equal(form.fleetFolder, '/RDL/Site7_Farm/_fleet', 'the schema itself accepts it');
      const saved = await h.engine.saveSettings({ ...form, intervalSeconds: 11 }, form);
      assert.ok(saved.ok, JSON.stringify(saved));
      assert.equal(h.engine.getSettings().intervalSeconds, 11);
    },
  );
});
