// Account-wide answers from the real API shapes, through the SDK against the emulator: a missing
// app permission is not "access revoked", token-endpoint refusals other than invalid_grant are one
// clear account problem, a team over its data-transport limit is blocked with Dropbox's own
// words, a pasted code's refusal says what was wrong, and a team member sees their own share.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { finishPkceAuth, startPkceAuth } from '../../src/engine/dropbox/auth.js';
import { createDropboxConnection } from '../../src/engine/dropbox/connection.js';
import { SyncError } from '../../src/engine/errors.js';
import { makeRig, MiB, pattern, requestsMade, type Rig } from './helpers.js';

let rig: Rig;
before(async () => {
  rig = await makeRig();
});
after(async () => {
  await rig.close();
});
beforeEach(() => {
  rig.emu.clearFaults();
  rig.emu.resetStats();
});

function blocked(code: string, message: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof SyncError, String(e));
    assert.equal(e.kind, 'blocked');
    assert.equal(e.code, code);
    assert.match(e.message, message);
    return true;
  };
}

test('401 missing_scope names the permission and is not "access revoked"', async () => {
  const items = [await rig.file('scope/a.csv', 'a'), await rig.file('scope/b.csv', 'b')];
  rig.emu.addFault({ kind: 'missing_scope', requiredScope: 'files.content.write', times: 20 });
  await assert.rejects(
    rig.store().uploadMany(items),
    blocked('auth-missing', /lacks the permission "files\.content\.write".*App Console/),
  );
  await assert.rejects(rig.store().uploadMany(items), (e: unknown) => {
    assert.doesNotMatch((e as Error).message, /revoked/);
    return true;
  });
});

test('a refresh refused with invalid_request (config without its secret) is one account problem', async () => {
  const refreshToken = rig.emu.issueRefreshToken({ needsSecret: true });
  const connection = createDropboxConnection({
    appKey: rig.emu.appKey,
    refreshToken,
    endpoint: rig.emu.url,
  });
  const items = [];
  for (let i = 0; i < 4; i++) items.push(await rig.file(`secret/f${i}.csv`, `row ${i}`));
  items.push(await rig.file('secret/big.bin', pattern(5 * MiB, 2)));
  await assert.rejects(
    rig.store({ connection }).uploadMany(items),
    blocked('auth-missing', /invalid_request: No auth function available.*app secret/),
  );
  // With the secret the same token works: the message pointed at the real cause.
  const withSecret = createDropboxConnection({
    appKey: rig.emu.appKey,
    appSecret: rig.emu.appSecret,
    refreshToken,
    endpoint: rig.emu.url,
  });
  const out = await rig.store({ connection: withSecret }).uploadMany(items);
  assert.ok(out.every((o) => o.ok));
});

test('403 data-transport limit: blocked account-wide with Dropbox’s message, not per-file', async () => {
  const items = [await rig.file('limit/a.csv', 'a'), await rig.file('limit/b.csv', 'b')];
  rig.emu.addFault({ kind: 'transport_limit', times: 50 });
  await assert.rejects(
    rig.store().uploadMany(items),
    blocked('quota-full', /data transport API calls for the month/),
  );
  const total = requestsMade(rig.emu);
  assert.ok(total <= 4, `gave up at once (${total} requests), not retried for ever`);
});

test('a pasted code that Dropbox refuses says what was wrong', async () => {
  const { authorizeUrl, codeVerifier } = await startPkceAuth({
    appKey: rig.emu.appKey,
    endpoint: rig.emu.url,
  });
  const page = await (await fetch(authorizeUrl)).text();
  const code = /id="auth-code">([^<]+)</.exec(page)?.[1];
  assert.ok(code);
  // Wrong app key: not "the code expired".
  await assert.rejects(
    finishPkceAuth({ appKey: 'someOtherKey', endpoint: rig.emu.url, codeVerifier, code }),
    (e: unknown) => e instanceof SyncError && /does not know this app key/.test(e.message),
  );
  // Another attempt's verifier: says the code belongs to another attempt.
  await assert.rejects(
    finishPkceAuth({
      appKey: rig.emu.appKey,
      endpoint: rig.emu.url,
      codeVerifier: 'x'.repeat(64),
      code,
    }),
    (e: unknown) => e instanceof SyncError && /another connection attempt/.test(e.message),
  );
  // The right verifier works; the same code a second time is the expired/used case.
  await finishPkceAuth({ appKey: rig.emu.appKey, endpoint: rig.emu.url, codeVerifier, code });
  await assert.rejects(
    finishPkceAuth({ appKey: rig.emu.appKey, endpoint: rig.emu.url, codeVerifier, code }),
    (e: unknown) =>
      e instanceof SyncError &&
      /mistyped or cut short \(paste it whole\), or used or expired \(a code works once, for a few minutes\)/.test(
        e.message,
      ),
  );
});

test('a team member sees their own share of the space, not the team’s whole allocation', async () => {
  const TB = 1024 ** 4;
  const open = await makeRig({
    team: { allocatedBytes: 10 * TB, usedByOthersBytes: 9 * TB, userLimitBytes: 0 },
  });
  const limited = await makeRig({
    team: { allocatedBytes: 10 * TB, usedByOthersBytes: 1 * TB, userLimitBytes: 5 * 1024 ** 3 },
  });
  try {
    await open.store().uploadMany([await open.file('t/a.bin', pattern(1000, 1))]);
    const a = await open.store().account();
    assert.equal(a.usedBytes, 1000);
    assert.equal(a.allocatedBytes, 1 * TB, 'own use plus what the team has left (1 TB - 1000)');
    const b = await limited.store().account();
    assert.equal(b.allocatedBytes, 5 * 1024 ** 3, 'the admin’s limit for this member');
  } finally {
    await open.close();
    await limited.close();
  }
});
