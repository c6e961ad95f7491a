// The account probe (`rdl-sync doctor`) against the emulator through the real SDK: it measures
// the header limit the server enforces, sees the `closed` replay answer and the known content
// hash, names a missing permission, cleans its scratch folder up, and says plainly when Dropbox
// cannot be reached.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { createDropboxConnection } from '../../src/engine/dropbox/connection.js';
import { runDoctor, type DoctorReport } from '../../src/engine/dropbox/doctor.js';
import { MAX_ARG_HEADER_BYTES } from '../../src/engine/dropbox/header-budget.js';
import { makeRig, type Rig } from './helpers.js';

let rig: Rig;
before(async () => {
  rig = await makeRig();
});
after(async () => {
  await rig.close();
});

function check(report: DoctorReport, name: string) {
  const c = report.checks.find((x) => x.name.startsWith(name));
  assert.ok(c, `no check "${name}" in ${JSON.stringify(report.checks)}`);
  return c;
}

test('measures the header limit, the replay answer and the known hash, then cleans up', async () => {
  rig.emu.setHeaderLimit(20 * 1024, '431');
  const report = await runDoctor(rig.connection, '/RDL/site1');
  assert.equal(report.reached, true);
  const header = check(report, 'largest request header');
  const accepted = Number(/^(\d+) bytes accepted/.exec(header.detail)?.[1]);
  const refused = Number(/, (\d+) refused \(HTTP 431\)/.exec(header.detail)?.[1]);
  assert.ok(accepted > MAX_ARG_HEADER_BYTES && accepted < 20 * 1024, header.detail);
  assert.ok(refused > 20 * 1024 - 2048, header.detail);
  assert.equal(header.result, 'ok');
  assert.match(
    check(report, 'replayed closing append').detail,
    /append_v2: closed; append_batch: closed/,
  );
  assert.equal(check(report, 'content hash').result, 'ok');
  assert.equal(check(report, 'clean up').result, 'ok');
  assert.deepEqual(
    rig.emu.listFiles().filter((f) => f.pathDisplay.includes('.rdl-sync-doctor')),
    [],
    'scratch folder removed',
  );
  // A lower limit (the client's cap would not fit) is reported as a problem.
  rig.emu.setHeaderLimit(4096, 'reset');
  const low = await runDoctor(rig.connection, '/RDL/site1');
  const h = check(low, 'largest request header');
  assert.equal(h.result, 'problem');
  assert.match(h.detail, /refused \(connection reset\)/);
  rig.emu.setHeaderLimit(16 * 1024, '431');
});

test('a missing permission is named', async () => {
  rig.emu.addFault({
    route: 'files/upload',
    kind: 'missing_scope',
    requiredScope: 'files.content.write',
  });
  const report = await runDoctor(rig.connection, '/RDL/site1');
  const c = check(report, 'upload a file');
  assert.equal(c.result, 'problem');
  assert.match(c.detail, /lacks the permission "files\.content\.write"/);
});

test('without a reachable Dropbox it says so and tries nothing else', async () => {
  // A port that was just free: nothing listens there.
  const port = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => resolve(p));
    });
  });
  const conn = createDropboxConnection({
    appKey: rig.emu.appKey,
    refreshToken: rig.refreshToken,
    endpoint: `http://127.0.0.1:${port}`,
  });
  const report = await runDoctor(conn, '/RDL/site1');
  assert.deepEqual(report, {
    reached: false,
    unreachedWhy: 'Could not reach Dropbox (network error); will retry',
    unreachedDetail: `the connection to 127.0.0.1:${port} was refused (ECONNREFUSED); check the hub's firewall, and the Dropbox endpoint if one is set`,
    checks: [],
  });
});
