// The Dropbox leg passes the destination conformance suite on the emulator, through the real SDK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { DropboxLeg } from '../../src/engine/legs/dropbox-leg.js';
import { notConnected } from '../../src/engine/pipeline/problems.js';
import { makeRig } from '../dropbox/helpers.js';
import { legConformance } from './conformance.js';

legConformance('Dropbox', async () => {
  const rig = await makeRig();
  return {
    leg: new DropboxLeg(rig.store(), notConnected()),
    transitDir: join(rig.dir, 'transit'),
    targetPathOf: (rel) => `/RDL/site1/${rel}`,
    putForeign: async (path, content) => rig.emu.putFile(path, content),
    read: async (path) => rig.emu.readFile(path).catch(() => null),
    block: async () => {
      rig.emu.revokeRefreshToken(rig.refreshToken);
      rig.emu.expireAccessTokens();
    },
    blockedCode: 'auth-revoked',
    // Whether a token still works is only known by a call: the check says connected or not.
    checkSeesBlock: false,
    close: () => rig.close(),
  };
});

test('Dropbox leg: without a connection its check names the cause and place touches nothing', async () => {
  const leg = new DropboxLeg(null, notConnected());
  const health = await leg.check();
  assert.equal(health.problem?.code, 'auth-missing');
  assert.equal(health.problem?.kind, 'blocked');
  const outcomes: unknown[] = [];
  const blocked = await leg.place(
    [{ rel: 'a.csv', localPath: '/nonexistent/a.csv', size: 1, mtimeMs: 1 }],
    { onOutcome: (o) => outcomes.push(o) },
  );
  assert.equal(blocked?.code, 'auth-missing');
  assert.deepEqual(outcomes, []);
});
