// Defect found by the soak run: after Dropbox revoked the hub's token, the running daemon kept
// the revoked one. Doing what its problem says (`rdl-sync auth` over ssh, a second process) saved
// a new connection, yet every pass stayed "access was revoked" until the daemon was restarted.
// A running engine, the real CLI's two-step auth in a child process, the emulator over HTTP.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { runCli } from '../cli/cli-harness.js';
import { listFilesRel, withHarness } from './harness.js';

test('a reconnect saved by `rdl-sync auth` in another process replaces a revoked token in the running engine', async () => {
  await withHarness({}, async (h) => {
    await h.drop('RDL/USB0/a.csv', 't,v\n1,2\n');
    assert.equal((await h.engine.runPassNow()).done, 1);

    const credsFile = path.join(h.configDir, 'credentials.json');
    const revoked = (JSON.parse(await fs.readFile(credsFile, 'utf8')) as { refreshToken: string })
      .refreshToken;
    h.emulator.revokeRefreshToken(revoked);
    h.emulator.expireAccessTokens({ afterCalls: 0 });
    await h.drop('RDL/USB0/b.csv', 't,v\n3,4\n');
    const blocked = await h.engine.runPassNow();
    assert.equal(blocked.uploadBlocked?.code, 'auth-revoked');
    assert.ok(h.engine.getStatus().problems.some((p) => p.id === 'auth-revoked'));

    // The person reconnects from a shell while the daemon keeps running.
    const env = { home: h.root };
    const cli = (...args: string[]) => runCli([...args, '--config-dir', h.configDir], env);
    const start = await cli('auth');
    assert.equal(start.code, 0, start.stdout + start.stderr);
    const url = /^\s+(http\S+)$/m.exec(start.stdout)?.[1];
    assert.ok(url, `an address is printed: ${start.stdout}`);
    const page = await (await fetch(url)).text();
    const code = /<code id="auth-code">([^<]+)<\/code>/.exec(page)?.[1];
    assert.ok(code, `the page shows a code: ${page}`);
    const finish = await cli('auth', '--code', code);
    assert.equal(finish.code, 0, finish.stdout + finish.stderr);
    const saved = (JSON.parse(await fs.readFile(credsFile, 'utf8')) as { refreshToken: string })
      .refreshToken;
    assert.notEqual(saved, revoked, 'auth saved a new token');

    // The running engine's next pass uses it: no restart.
    const fixed = await h.engine.runPassNow();
    assert.equal(fixed.uploadBlocked, null);
    assert.equal(fixed.done, 1);
    assert.ok(h.emulator.getFile('/RDL/site1/RDL/USB0/b.csv'), 'b.csv reached Dropbox');
    assert.deepEqual(await listFilesRel(h.transitDir), []);
    const status = h.engine.getStatus();
    assert.equal(
      status.problems.find((p) => p.id === 'auth-revoked'),
      undefined,
      JSON.stringify(status.problems),
    );
    assert.equal(status.dropbox.connected, true);
  });
});
