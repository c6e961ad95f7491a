// The access token asked for as the engine gets ready for its first pass (PassRunner.prepareAccess),
// on a real engine against the emulator: it costs no request the first pass did not make (an empty
// watch folder included), the pass shares it instead of asking again, and a refusal or no network
// met that early surfaces exactly as the pass met it before: the same problem, the same log lines,
// nothing unhandled.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from './harness.js';
import { FileCredentialStore } from '../../src/engine/credentials/index.js';
import { silentLogger, type Logger } from '../../src/engine/ports.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Watched {
  h: Harness;
  lines: string[];
  unhandled: unknown[];
  done(): Promise<void>;
}

/** A harness whose warnings and errors are collected, and unhandled rejections caught. */
async function watched(settings: Parameters<typeof startHarness>[0] = {}): Promise<Watched> {
  const lines: string[] = [];
  const logger: Logger = {
    ...silentLogger,
    warn: (m, f) => void lines.push(`warn ${m} ${JSON.stringify(f ?? {})}`),
    error: (m, f) => void lines.push(`error ${m} ${JSON.stringify(f ?? {})}`),
  };
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown): void => void unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  const h = await startHarness({
    ...settings,
    engine: { logger, ...settings.engine },
    settings: { intervalSeconds: 3600, ...settings.settings },
  });
  return {
    h,
    lines,
    unhandled,
    async done() {
      process.off('unhandledRejection', onUnhandled);
      await h.close();
    },
  };
}

/** Starts the engine (a daemon's start) and waits for its first pass to end. */
async function startAndSettle(h: Harness): Promise<void> {
  await h.engine.start();
  for (let i = 0; i < 500; i++) {
    const s = h.engine.getStatus();
    if (s.lastPassMs !== null && !s.passRunning) return;
    await sleep(10);
  }
  throw new Error('the first pass did not end');
}

test('a daemon started over files asks for the token once: the first pass shares it', async () => {
  const w = await watched();
  try {
    await w.h.drop('a.csv', 'a\n');
    await w.h.drop('b.csv', 'b\n');
    w.h.emulator.resetStats();
    await startAndSettle(w.h);
    assert.ok(w.h.emulator.getFile('/RDL/site1/a.csv'));
    assert.ok(w.h.emulator.getFile('/RDL/site1/b.csv'));
    assert.equal(w.h.emulator.stats()['oauth2/token'], 1);
    assert.deepEqual(w.lines, []);
    assert.deepEqual(w.unhandled, []);
  } finally {
    await w.done();
  }
});

test('a daemon started over an empty watch folder makes the requests its first pass made before: the token and the account card', async () => {
  const w = await watched();
  try {
    w.h.emulator.resetStats();
    await startAndSettle(w.h);
    const stats = w.h.emulator.stats();
    const requests = Object.entries(stats).filter(([route]) => route.includes('/'));
    assert.deepEqual(Object.fromEntries(requests), {
      'oauth2/token': 1,
      'users/get_current_account': 1,
      'users/get_space_usage': 1,
    });
    assert.deepEqual(w.unhandled, []);
  } finally {
    await w.done();
  }
});

test('a refresh token Dropbox refuses, met as the daemon starts: the pass reports it as before, nothing else is said', async () => {
  const w = await watched();
  try {
    const creds = await new FileCredentialStore(w.h.configDir).loadPlainOnly();
    w.h.emulator.revokeRefreshToken(creds!.refreshToken);
    await w.h.drop('a.csv', 'a\n');
    await startAndSettle(w.h);
    const problems = w.h.engine.getStatus().problems.map((p) => p.code);
    assert.ok(problems.includes('auth-revoked'), JSON.stringify(problems));
    assert.equal(w.h.emulator.getFile('/RDL/site1/a.csv'), undefined);
    // The pass's own lines only: none for the token asked for ahead.
    assert.deepEqual(
      w.lines.map((l) => l.replace(/ \{.*/, '')),
      ['warn account check failed'],
    );
    assert.deepEqual(w.unhandled, []);
  } finally {
    await w.done();
  }
});

test('no network as the daemon starts: the pass reports Dropbox unreachable as before, nothing unhandled', async () => {
  // A port nothing listens on: every request, the token's first, is refused at once.
  const w = await watched({ settings: { dropboxEndpoint: 'http://127.0.0.1:9' } });
  try {
    await w.h.drop('a.csv', 'a\n');
    await startAndSettle(w.h);
    assert.equal(w.h.engine.getStatus().counts.transit, 1, 'the file waits in transit');
    // The pass's own lines, as before: its account check retried, then gave up; none for the
    // token asked for ahead.
    assert.ok(w.lines.length > 0);
    for (const line of w.lines)
      assert.match(
        line,
        /^warn (Dropbox users\/get_current_account failed, retrying|account check failed) /,
      );
    assert.deepEqual(w.unhandled, []);
  } finally {
    await w.done();
  }
});

test('a pass whose account card is not due asks for no token ahead: a second pass over an empty folder makes no request', async () => {
  const w = await watched();
  try {
    await w.h.engine.runPassNow();
    w.h.emulator.resetStats();
    await w.h.engine.runPassNow();
    const requests = Object.entries(w.h.emulator.stats()).filter(([route]) => route.includes('/'));
    assert.deepEqual(requests, []);
    assert.deepEqual(w.unhandled, []);
  } finally {
    await w.done();
  }
});
