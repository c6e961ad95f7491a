// A pass that fails on an unexpected error is announced in words that are true and name where to
// look. It said "Syncing stopped on an unexpected error (…); it is retried on every pass … See the
// log": stopped, and yet retried; and "the log" named no place to a person reading it by email.
// A real engine whose journal cannot be saved (a folder stands where journal.json belongs:
// EISDIR, no settings-disk fault), the alert as a loopback SMTP server received it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withHarness } from '../engine/harness.js';
import { startSmtp, waitUntil } from './loopback.js';

test('a failed pass: the alert says a pass failed, every pass tries again, and where the log is', async () => {
  const smtp = await startSmtp();
  try {
    await withHarness(
      {
        settings: {
          alertEmailTo: ['ops@example.org'],
          alertEmailFrom: 'hub6@example.org',
          smtpHost: '127.0.0.1',
          smtpPort: smtp.port,
          smtpSecurity: 'none',
        },
      },
      async (h) => {
        await h.engine.start();
        const journal = path.join(h.configDir, 'journal.json');
        await fs.rm(journal, { force: true });
        await fs.mkdir(path.join(journal, 'in-the-way'), { recursive: true });
        await h.drop('RDL/a.csv', 'a\n');
        h.engine.syncNow();
        await waitUntil('the failed pass by email', () =>
          smtp.mails.some((m) => /pass-failed/.test(m.subject)),
        );
        const mail = smtp.mails.find((m) => /pass-failed/.test(m.subject))!;
        const text = mail.text.replace(/\s+/g, ' ');
        assert.match(text, /A sync pass failed on an unexpected error \(.*EISDIR/);
        assert.match(text, /every pass tries again/);
        assert.doesNotMatch(text, /Syncing stopped/);
        assert.ok(text.includes(`See the log in ${path.join(h.configDir, 'logs')}`), text);
        await fs.rm(journal, { recursive: true });
        await h.engine.stop();
      },
    );
  } finally {
    await smtp.close();
  }
});
