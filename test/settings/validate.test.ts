import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FieldIssue } from '../../src/engine/api.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { expandHome, validateSettings } from '../../src/engine/settings/validate.js';

const HOME = '/home/pi';
const good = { ...defaultSettings(HOME), site: 'site1', archiveDir: '/media/orangepi/SD1' };

function issuesOf(candidate: unknown): FieldIssue[] {
  const r = validateSettings(candidate, { home: HOME });
  assert.equal(r.ok, false, 'expected the candidate to be rejected');
  return r.ok ? [] : r.issues;
}

function issueFor(candidate: unknown, field: string): string {
  const issue = issuesOf(candidate).find((i) => i.field === field);
  assert.ok(issue, `expected an issue on ${field}`);
  return issue.message;
}

test('a complete, sensible candidate passes and comes back trimmed', () => {
  const r = validateSettings({ ...good, site: '  site1 ' }, { home: HOME });
  assert.ok(r.ok);
  assert.equal(r.settings.site, 'site1');
  assert.deepEqual(r.settings.ignorePatterns, good.ignorePatterns);
});

test('~ in folder settings is expanded in the result', () => {
  const r = validateSettings(
    { ...good, watchDir: '~/logger/out', transitDir: '~/q' },
    { home: HOME },
  );
  assert.ok(r.ok);
  assert.equal(r.settings.watchDir, '/home/pi/logger/out');
  assert.equal(r.settings.transitDir, '/home/pi/q');
  assert.equal(expandHome('~', '/h'), '/h');
  assert.equal(expandHome('~/a/b', '/h'), '/h/a/b');
  assert.equal(expandHome('/abs/~/x', '/h'), '/abs/~/x');
  assert.match(
    issueFor({ ...good, watchDir: '~bob/x' }, 'watchDir'),
    /~name.*not supported.*full path/,
  );
});

test('wrong types name the setting, what is allowed and the value given', () => {
  assert.equal(
    issueFor({ ...good, intervalSeconds: '10' }, 'intervalSeconds'),
    'Interval must be a number (got "10")',
  );
  assert.equal(
    issueFor({ ...good, archiveEnabled: 'yes' }, 'archiveEnabled'),
    'Archive on must be true or false (got "yes")',
  );
  assert.equal(
    issueFor({ ...good, ignorePatterns: '*.tmp' }, 'ignorePatterns'),
    'Ignore patterns must be a list (got "*.tmp")',
  );
  assert.equal(
    issueFor({ ...good, offlineAlertMinutes: 1.5 }, 'offlineAlertMinutes'),
    'Offline alert must be a whole number (got 1.5)',
  );
  assert.equal(
    issueFor({ ...good, scheduleMode: 'hourly' }, 'scheduleMode'),
    'Schedule must be "interval" or "cron" (got "hourly")',
  );
});

test("the schema's own range messages are kept and the value appended", () => {
  assert.equal(
    issueFor({ ...good, intervalSeconds: 1 }, 'intervalSeconds'),
    'Interval must be at least 2 seconds (got 1)',
  );
  assert.equal(
    issueFor({ ...good, chunkSizeMiB: 10 }, 'chunkSizeMiB'),
    'Chunk size must be a multiple of 4 MiB (got 10)',
  );
  assert.match(
    issueFor({ ...good, ignorePatterns: ['*.csv', ''] }, 'ignorePatterns.1'),
    /ignore pattern is empty \(got ""\)/,
  );
  assert.match(
    issueFor({ ...good, watchDir: 'relative/dir' }, 'watchDir'),
    /must be an absolute path.*\(got "relative\/dir"\)/,
  );
  // Each folder's own example: the transit folder's once named the watch folder's.
  assert.match(
    issueFor({ ...good, transitDir: 'queue' }, 'transitDir'),
    /^Transit folder must be an absolute path \(for example \/home\/pi\/rdl\/transit\)/,
  );
  // A relative archive folder was saved, and the daemon copied into its own working folder.
  assert.match(
    issueFor({ ...good, archiveEnabled: true, archiveDir: 'relative/path' }, 'archiveDir'),
    /^Archive folder must be an absolute path \(for example \/media\/orangepi\/SD1.*\(got "relative\/path"\)/,
  );
  assert.match(
    issueFor({ ...good, archiveEnabled: false, archiveDir: 'sd' }, 'archiveDir'),
    /^Archive folder must be an absolute path/,
  );
  for (const archiveDir of ['/media/orangepi/SD1', '~/SHELF3/4_synced', ''])
    assert.ok(
      validateSettings({ ...good, archiveEnabled: false, archiveDir }, { home: HOME }).ok,
      archiveDir,
    );
  // A folder template is shown as typed (it is no secret), so the missing / can be seen.
  assert.match(
    issueFor({ ...good, remoteRootTemplate: 'Professional/{site}' }, 'remoteRootTemplate'),
    /must start with \/.*\(got "Professional\/\{site\}"\)/,
  );
});

test('unknown and missing settings are reported by name, with a likely correction', () => {
  assert.match(
    issueFor({ ...good, intervalSecs: 5 }, 'intervalSecs'),
    /unknown setting "intervalSecs": did you mean "intervalSeconds"/,
  );
  assert.match(
    issueFor({ ...good, colour: 'red' }, 'colour'),
    /unknown setting "colour": remove it/,
  );
  const { site: _site, ...noSite } = good;
  assert.equal(issueFor(noSite, 'site'), 'Site name is missing: add "site" to the settings');
});

test('non-objects are rejected with one clear issue', () => {
  for (const bad of [null, 42, 'x', [good]]) {
    const issues = issuesOf(bad);
    assert.equal(issues.length, 1);
    assert.match(issues[0]!.message, /Settings must be an object/);
  }
});

test('cross-field rules: empty archive folder, cron, site', () => {
  assert.match(issueFor({ ...good, archiveDir: '' }, 'archiveDir'), /Archive folder is empty/);
  const r = validateSettings({ ...good, archiveDir: '', archiveEnabled: false }, { home: HOME });
  assert.ok(r.ok, 'an empty archive folder is fine when the archive is off');
  assert.match(
    issueFor({ ...good, scheduleMode: 'cron', cron: ' ' }, 'cron'),
    /Cron expression is empty/,
  );
});

test('transit must not be the watch folder or inside it; archive not inside either', () => {
  assert.match(
    issueFor({ ...good, transitDir: '/home/pi/rdl/tosync/' }, 'transitDir'),
    /same as the watch folder \(\/home\/pi\/rdl\/tosync\)/,
  );
  assert.match(
    issueFor({ ...good, transitDir: '/home/pi/rdl/tosync/q' }, 'transitDir'),
    /inside the watch folder/,
  );
  assert.match(
    issueFor({ ...good, watchDir: '/home/pi/rdl/transit/in' }, 'watchDir'),
    /inside the transit folder/,
  );
  assert.match(
    issueFor({ ...good, archiveDir: '/home/pi/rdl/transit/sd' }, 'archiveDir'),
    /inside the transit folder/,
  );
  assert.match(
    issueFor({ ...good, archiveDir: '/home/pi/rdl/tosync' }, 'archiveDir'),
    /inside the watch folder/,
  );
  // A sibling whose name merely starts the same is not inside.
  const r = validateSettings(
    { ...good, transitDir: '/home/pi/rdl/tosync-transit' },
    { home: HOME },
  );
  assert.ok(r.ok, JSON.stringify(r));
  // Windows paths compare case-insensitively.
  const win = {
    ...good,
    watchDir: 'C:\\Data\\ToSync',
    transitDir: 'c:\\data\\tosync\\t',
    archiveDir: 'E:\\',
  };
  assert.match(issueFor(win, 'transitDir'), /inside the watch folder/);
});

// User trial: transit on the SD card archive was saved; with the card out the next file was staged
// into the empty mount point on the main disk, hidden there once the card was back.
test('transit or watch folder inside the archive folder is refused, card or not; siblings on one disk are not', () => {
  for (const archiveMustBeMountPoint of [true, false]) {
    const card = { ...good, archiveEnabled: true, archiveMustBeMountPoint };
    const transit = issueFor({ ...card, transitDir: '/media/orangepi/SD1/transit' }, 'transitDir');
    assert.equal(
      transit,
      "Transit folder (/media/orangepi/SD1/transit) is inside the archive folder (/media/orangepi/SD1): the archive would hold RDL Sync's own queue, and with the card or disk out the queue would be gone and new files written into its empty mount point; put the transit folder on the hub's own disk, beside the watch folder, e.g. /home/pi/rdl/transit",
    );
    assert.match(
      issueFor({ ...card, watchDir: '/media/orangepi/SD1/in' }, 'watchDir'),
      /^Watch folder \(\/media\/orangepi\/SD1\/in\) is inside the archive folder \(\/media\/orangepi\/SD1\): .*choose a watch folder on the hub's own disk, outside the archive folder$/,
    );
  }
  // The archive off: a folder named there still is not where the queue belongs.
  assert.match(
    issueFor(
      { ...good, archiveEnabled: false, transitDir: '/media/orangepi/SD1/q/t' },
      'transitDir',
    ),
    /inside the archive folder/,
  );
  // A Pi's own SD card holding both (archive not a mount point): the archive copy is a hard link.
  const oneDisk = validateSettings(
    {
      ...good,
      archiveEnabled: true,
      archiveMustBeMountPoint: false,
      watchDir: '/home/pi/rdl/tosync',
      transitDir: '/home/pi/rdl/transit',
      archiveDir: '/home/pi/rdl/archive',
    },
    { home: HOME },
  );
  assert.ok(oneDisk.ok, JSON.stringify(oneDisk));
});

test('folder clashes are reported together with other mistakes', () => {
  const issues = issuesOf({ ...good, intervalSeconds: 0, transitDir: '/home/pi/rdl/tosync/t' });
  assert.deepEqual(issues.map((i) => i.field).sort(), ['intervalSeconds', 'transitDir']);
});

// zod runs no refinement once a field fails: a type error elsewhere hid an empty site (and the
// other rules across settings) until it was fixed, one `settings check` at a time.
test('rules across settings are reported beside a type error, each only over valid inputs', () => {
  const issues = issuesOf({ ...good, intervalSeconds: 'ten', site: '', archiveDir: '' });
  assert.deepEqual(issues.map((i) => i.field).sort(), ['archiveDir', 'intervalSeconds', 'site']);
  assert.match(issues.find((i) => i.field === 'site')!.message, /^Site name is empty/);
  // Read as the whole parse reads it: a site of spaces is empty.
  const spaces = issuesOf({ ...good, intervalSeconds: 'ten', site: '   ' });
  assert.deepEqual(spaces.map((i) => i.field).sort(), ['intervalSeconds', 'site']);
  // A rule whose input is itself wrong says nothing: the input's own mistake comes first.
  const digest = issuesOf({ ...good, alertEmailTo: 'not-a-list', digestSchedule: 'daily' });
  assert.deepEqual(
    digest.map((i) => i.field),
    ['alertEmailTo'],
  );
  // A setting whose value is not the person's (a lost line, at its default) feeds no rule.
  const lost = validateSettings(
    { ...good, site: '', remoteRootTemplate: '/RDL/{site}' },
    { home: HOME, notKnown: new Set(['remoteRootTemplate']) },
  );
  assert.deepEqual(
    lost.ok ? [] : lost.issues.filter((i) => i.field === 'site'),
    [],
    'the default folder does not make the empty site a mistake',
  );
  const known = validateSettings(
    { ...good, site: '', remoteRootTemplate: '/RDL/{site}' },
    { home: HOME },
  );
  assert.ok(!known.ok && known.issues.some((i) => i.field === 'site'), 'but the person’s does');
});

// A password, token or webhook URL pasted into the wrong setting was quoted in the issue, and the
// issue goes to the log, into the alert a waiting service emails and into the fleet heartbeat.
test('a secret typed into the wrong setting is described, not quoted; other values are quoted', () => {
  const token = 'Xk3vQ9-fAkeRefreshT0ken_0123456789abcdefABCDEFghijklmnopQRS7';
  const appPassword = 'abcd efgh ijkl mnop';
  const webhook = 'https://hooks.slack.com/services/T000/B000/XXXXXXXXsecretXXXX';
  for (const secret of [token, appPassword, webhook, `sl.u.${token}`]) {
    const message = issueFor({ ...good, smtpPort: secret }, 'smtpPort');
    assert.match(message, /^SMTP port must be a number/, message);
    assert.ok(!message.includes(secret.slice(-12)), message);
    if (secret === webhook) assert.match(message, /\(got "https:\/\/hooks\.slack\.com\/…"/);
    else
      assert.match(
        message,
        new RegExp(`\\(got a text of ${secret.length} characters \\(not shown`),
      );
  }
  // A text setting too: the SMTP password pasted as the sender.
  // An @ alone does not make a password an address.
  for (const secret of ['P@ssw0rd123456789', 'Xk9@mP2#qL5$vN8!wq']) {
    const message = issueFor({ ...good, alertEmailFrom: secret }, 'alertEmailFrom');
    assert.match(message, /\(got a text of \d+ characters \(not shown/, message);
  }
  const sender = issueFor({ ...good, alertEmailFrom: token }, 'alertEmailFrom');
  assert.equal(
    sender,
    `Alert sender must be an email address (got a text of ${token.length} characters (not shown: it may be a password or token typed into the wrong setting))`,
  );
  // What a person mistyped is still shown to them as it is.
  for (const typed of [
    'ten',
    'smtp.example.org:587',
    'me@exampel.org',
    'tech@example,com',
    '/media/pi/CARD/x',
    'Site9 farm',
  ]) {
    const message = issueFor({ ...good, smtpPort: typed }, 'smtpPort');
    assert.ok(message.includes(`(got ${JSON.stringify(typed)})`), message);
  }
});
