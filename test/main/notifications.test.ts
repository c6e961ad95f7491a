// The tray's desktop notifications come from the engine's alert service (the one policy shared
// with the daemon): a real status model raising and clearing a real condition, through the
// service, worded by noticeOf. The policy's own rules are proven in test/alerts/policy.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AlertService } from '../../src/engine/alerts/alert-service.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { StatusModel } from '../../src/engine/status/model.js';
import { silentLogger } from '../../src/engine/ports.js';
import { fileFailingProblem } from '../../src/engine/pipeline/problems.js';
import { noticeOf, notificationText, type Notice } from '../../src/main/notifications.js';

const MIN = 60_000;

/**
 * The tray's path for alerts: a real status model and the engine's alert service on a clock in
 * hand, each alert worded by noticeOf as the notifier words it.
 */
async function withNotices(
  fn: (t: {
    status: StatusModel;
    notices: Notice[];
    advance: (ms: number) => void;
  }) => Promise<void>,
): Promise<void> {
  const configDir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-notices-'));
  let now = 1_000_000;
  const clock = { now: () => now, sleep: async () => undefined };
  const status = new StatusModel(() => now);
  const settings = { ...defaultSettings(), site: 'Site0_Montreal' };
  const service = new AlertService({
    configDir,
    status,
    settings: () => settings,
    history: () => [],
    clock,
    logger: silentLogger,
    host: 'hub',
  });
  const notices: Notice[] = [];
  service.onAlert((a) => notices.push(noticeOf(a)));
  try {
    await service.start();
    await fn({ status, notices, advance: (ms) => (now += ms) });
  } finally {
    await service.stop();
    status.dispose();
    await fs.rm(configDir, { recursive: true, force: true });
  }
}

test('a condition raised and cleared in the engine becomes one notice each; a revoked token is not held back', async () => {
  await withNotices(async ({ status, notices, advance }) => {
    status.raise({
      id: 'archive-missing',
      code: 'archive-missing',
      severity: 'attention',
      tab: 'status',
      message: 'SD card folder /media/sd does not exist: insert the card',
    });
    advance(MIN);
    // Five more conditions at once, then "access revoked": no shared cap holds it back.
    for (let i = 0; i < 5; i++) {
      status.raise({
        id: `source-silent:S${i}`,
        code: 'source-silent',
        severity: 'attention',
        tab: 'status',
        message: `S${i} is silent`,
      });
    }
    status.raise({
      id: 'auth-revoked',
      code: 'auth-revoked',
      severity: 'error',
      tab: 'settings',
      message: 'Dropbox access was revoked: reconnect in Settings',
    });
    advance(MIN);
    status.clear('archive-missing');
    assert.deepEqual(
      notices.filter((n) => !n.conditionId.startsWith('source-silent')),
      [
        {
          conditionId: 'archive-missing',
          kind: 'raised',
          title: 'RDL Sync needs attention',
          body: 'SD card folder /media/sd does not exist: insert the card.',
          tab: 'status',
          silent: false,
        },
        {
          conditionId: 'auth-revoked',
          kind: 'raised',
          title: 'RDL Sync needs action now',
          body: 'Dropbox access was revoked: reconnect in Settings.',
          tab: 'settings',
          silent: false,
        },
        {
          conditionId: 'archive-missing',
          kind: 'cleared',
          title: 'RDL Sync: resolved',
          body: 'Resolved: the archive out of reach, which began 1970-01-01 00:16 UTC and lasted 2 min. It last read: “SD card folder /media/sd does not exist: insert the card”.',
          tab: 'status',
          silent: true,
        },
      ],
    );
    assert.equal(notices.filter((n) => n.conditionId.startsWith('source-silent')).length, 5);
  });
});

test('a failing file\'s notice says that "Sync now" tries it again at once; one cut short, and the clear, do not', async () => {
  await withNotices(async ({ status, notices, advance }) => {
    // The problems as the pipeline raises them (pipeline/problems.ts).
    const failing = fileFailingProblem('RDL/USB0/a.csv', 3, {
      code: 'file-unreadable',
      message: 'permission denied: make the file readable by the service user',
    });
    const cut = fileFailingProblem('RDL/USB0/b.csv', 1, {
      code: 'file-cut-short',
      message: 'RDL/USB0/b.csv is shorter than when it was first seen: it is held',
    });
    assert.equal(failing.triedOnAsk, true, 'the window offers "Try again now" on its card');
    assert.equal(cut.triedOnAsk, undefined, 'a file cut short waits for a person, not an ask');
    status.raise(failing);
    status.raise(cut);
    advance(MIN);
    status.clear(failing.id);
    // Files failing the same way are one condition for the people alerted (alerts/file-groups.ts).
    const of = (code: string, kind: Notice['kind']) =>
      notices.find((n) => n.conditionId === `files-failing:${code}` && n.kind === kind)?.body ?? '';
    assert.match(
      of('file-unreadable', 'raised'),
      /failed 3 times: .*\. Fixed the cause\? "Sync now" in the tray menu \(after Resume, if paused\) tries again at once\.$/,
    );
    assert.doesNotMatch(of('file-cut-short', 'raised'), /Sync now/);
    assert.match(of('file-cut-short', 'raised'), /held/);
    assert.match(of('file-unreadable', 'cleared'), /^Resolved/);
    assert.doesNotMatch(of('file-unreadable', 'cleared'), /Sync now/);
  });
});

test('on Linux a notification body never carries markup from a file name; elsewhere it is as written', () => {
  const sentence =
    'RDL/<b>urgent</b> <a href="https:/evil.example/">Reconnect Dropbox</a> & co.csv failed 3 times';
  const linux = notificationText(sentence, 'linux');
  assert.doesNotMatch(linux, /[<>]/);
  assert.equal(
    linux,
    'RDL/\u2039b\u203aurgent\u2039/b\u203a \u2039a href="https:/evil.example/"\u203aReconnect Dropbox\u2039/a\u203a & co.csv failed 3 times',
  );
  assert.equal(notificationText(sentence, 'darwin'), sentence);
  assert.equal(notificationText(sentence, 'win32'), sentence);
});
