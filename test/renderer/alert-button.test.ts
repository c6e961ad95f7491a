// "Send test alert" in the Settings tab, in Chromium over a real engine: the email reaches a
// real SMTP server on loopback, a failing command hook is shown as failed in the window and
// becomes a problem of its own (alert-channel-failing:command).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { chromiumInstalled, openWindow, until } from './window-harness.js';
import { startSmtp, tempDir } from '../alerts/loopback.js';

test('Send test alert: one mail arrives, a failing channel is shown and raised as a problem', async (t) => {
  if (!(await chromiumInstalled())) {
    t.skip(
      'Chromium not installed at /usr/bin/chromium (run scripts/setup.sh); window tests skipped',
    );
    return;
  }
  const smtp = await startSmtp();
  const dir = await tempDir('rdl-alert-button-');
  const failing = path.join(dir, 'hook.sh');
  await fs.writeFile(failing, '#!/bin/sh\necho "pager service down" >&2\nexit 1\n', {
    mode: 0o755,
  });
  const w = await openWindow({
    intervalSeconds: 3600,
    site: 'Site2_Button',
    alertEmailTo: ['ops@example.org'],
    alertEmailFrom: 'hub@example.org',
    smtpHost: '127.0.0.1',
    smtpPort: smtp.port,
    smtpSecurity: 'none',
    alertCommand: failing,
  });
  try {
    await w.page.click('#tab-settings');
    // The channels are ordinary settings in the form (the secrets are not).
    await until('the Alerts settings in the form', async () =>
      (await w.page.inputValue('#set-smtpHost').catch(() => '')) === '127.0.0.1' ? true : undefined,
    );
    assert.equal(await w.page.$('#set-smtpPassword'), null);
    await w.page.click('#send-test-alert');
    const items = await until('the test alert results in the window', async () => {
      const li = await w.page.$$eval('#alert-test-result li', (els) =>
        els.map((e) => e.textContent ?? ''),
      );
      return li.length === 2 ? li : undefined;
    });
    assert.deepEqual(items, [
      'Sent: email to ops@example.org',
      `Failed: command ${failing}: alert command ${failing} failed (exit 1): pager service down`,
    ]);
    assert.equal(smtp.mails[0]!.subject, 'RDL Sync Site2_Button: test alert, nothing to do (test)');
    assert.match(smtp.mails[0]!.text, /^This is a test alert from RDL Sync/);
    // The failing command is itself announced, through the channel that works.
    await until('the failing-channel alert by email', () => smtp.mails.length === 2);
    assert.equal(
      smtp.mails[1]!.subject,
      'RDL Sync Site2_Button: needs attention: alerts not getting through (alert-channel-failing:command)',
    );
    const problem = w.engine
      .getStatus()
      .problems.find((p) => p.id === 'alert-channel-failing:command');
    assert.ok(problem, 'the failing channel is a visible problem');
    assert.match(
      problem.message,
      /Alerts by command .* are not getting through \(.*pager service down\)/,
    );
    // Shown in the window's problem list like any other.
    await until('the problem in the status tab', async () =>
      ((await w.page.textContent('#panel-status')) ?? '').includes('are not getting through'),
    );
  } finally {
    await w.close();
    await smtp.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});
