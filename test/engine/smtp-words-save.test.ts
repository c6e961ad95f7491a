// The window's save accepted "smtp.example.org:587" as the SMTP server (only `settings set`
// refused it), and every alert email then failed on a host that cannot be looked up. A save from
// the window (the engine facade, with the values the form was filled with) now refuses an SMTP
// value typed in a form that cannot work, with the field's fix in the window's words, and writes
// nothing; a value already in the file does not block saving other fields (the CLI's rule).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withHarness } from './harness.js';

test('a window save refuses an SMTP server with a port or scheme, names the fix, writes nothing', async () => {
  await withHarness({}, async (h) => {
    const file = path.join(h.configDir, 'config.json');
    const before = await fs.readFile(file, 'utf8');
    const form = { ...h.engine.getSettings() };

    const port = await h.engine.saveSettings(
      { ...form, smtpHost: 'smtp.example.org:587', intervalSeconds: 9 },
      form,
    );
    assert.equal(port.ok, false);
    assert.deepEqual(!port.ok && port.issues, [
      {
        field: 'smtpHost',
        message: 'SMTP server is a host name alone: put smtp.example.org here and 587 in SMTP port',
      },
    ]);
    const scheme = await h.engine.saveSettings({ ...form, smtpHost: 'smtps://mail.lab' }, form);
    assert.match(
      !scheme.ok ? scheme.issues[0]!.message : '',
      /without smtp:\/\/ or another scheme/,
    );
    const user = await h.engine.saveSettings({ ...form, smtpUser: 'apikey\nBcc: x@y' }, form);
    assert.deepEqual(!user.ok && user.issues.map((i) => i.field), ['smtpUser']);
    assert.equal(await fs.readFile(file, 'utf8'), before, 'nothing written');
    assert.equal(h.engine.getSettings().intervalSeconds, form.intervalSeconds);

    // The live check shows the same message while the person types.
    const checked = h.engine.validateSettings({ ...form, smtpHost: 'smtp.example.org:587' });
    assert.deepEqual(!checked.ok && checked.issues.map((i) => i.field), ['smtpHost']);

    // A save from the window of the whole form with no `loadedWith` is checked the same way.
    const whole = await h.engine.saveSettings({ ...form, smtpHost: 'mail.lab:25' });
    assert.equal(whole.ok, false);

    const good = await h.engine.saveSettings(
      { ...form, smtpHost: 'smtp.example.org', smtpPort: 587 },
      form,
    );
    assert.ok(good.ok, JSON.stringify(good));
    assert.equal(h.engine.getSettings().smtpHost, 'smtp.example.org');
  });
});

test('an SMTP server already written wrong in the file does not stop saving other fields', async () => {
  await withHarness({ settings: { smtpHost: 'old.example.org:2525' } }, async (h) => {
    const form = { ...h.engine.getSettings() };
    assert.equal(form.smtpHost, 'old.example.org:2525', 'the schema itself accepts it');
    const saved = await h.engine.saveSettings({ ...form, intervalSeconds: 11 }, form);
    assert.ok(saved.ok, JSON.stringify(saved));
    assert.equal(h.engine.getSettings().intervalSeconds, 11);
    const again = await h.engine.saveSettings({ ...h.engine.getSettings(), intervalSeconds: 12 });
    assert.ok(again.ok, JSON.stringify(again));
  });
});
