// A "resolved" alert reads as a resolution. It quoted the problem's last sentence as current: "No
// longer a problem: “Archive folder … does not exist: …; 2 files are waiting safely”", counts and
// fix and all, in the message meant to say the problem is over. Now it names the problem, when it
// began and how long it lasted, and quotes its last words as past. A real engine, the archive
// folder removed and put back, the mails as a loopback SMTP server received them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { withHarness } from '../engine/harness.js';
import { startSmtp, waitUntil } from './loopback.js';

test('the archive folder back: the resolved mail names the problem and its span, its old words as past', async () => {
  const smtp = await startSmtp();
  try {
    await withHarness(
      {
        settings: {
          alertEmailTo: ['ops@example.org'],
          alertEmailFrom: 'hub8@example.org',
          smtpHost: '127.0.0.1',
          smtpPort: smtp.port,
          smtpSecurity: 'none',
          alertFlapMinutes: 0,
        },
      },
      async (h) => {
        await fs.rm(h.archiveDir, { recursive: true, force: true });
        await h.drop('RDL/a.csv', 'a\n');
        await h.drop('RDL/b.csv', 'b\n');
        await h.engine.start();
        const mail = (re: RegExp) => smtp.mails.find((m) => re.test(m.subject));
        await waitUntil('the raise by email', () => mail(/\(archive-missing\)/) !== undefined);
        // The start-up's look at the card can raise it before the first pass has counted the
        // files (met under load): a count, when there is one, is the two files.
        const raised = mail(/\(archive-missing\)/)!.text.replace(/\s+/g, ' ');
        assert.match(raised, /Archive folder .* does not exist/);
        const counted = /(\d+) files? waits? safely in transit/.exec(raised);
        if (counted) assert.equal(counted[1], '2', raised);

        await fs.mkdir(h.archiveDir);
        h.engine.syncNow();
        await waitUntil(
          'the resolved mail',
          () => mail(/resolved: the archive out of reach \(archive-missing\)/) !== undefined,
        );
        const text = mail(/resolved: the archive out of reach \(archive-missing\)/)!.text.replace(
          /\s+/g,
          ' ',
        );
        assert.match(
          text,
          /^Resolved: the archive out of reach, which began \d{4}-\d\d-\d\d \d\d:\d\d UTC and lasted \d+ s\. It last read: “Archive folder .* does not exist/,
        );
        // The old count is only ever inside the quote of what it read, never said as current.
        const [said, quoted] = text.split('It last read:');
        assert.doesNotMatch(said!, /waiting|No longer a problem/);
        assert.match(quoted!, /2 files wait safely in transit”\./);
        await h.engine.stop();
      },
    );
  } finally {
    await smtp.close();
  }
});
