// Defect found by the soak run: a WiFi outage (connection refused) met by an append_batch was
// taken for a front end refusing its header, so the header budget was halved ("Dropbox refused a
// request header as too large") and stayed halved for the daemon's lifetime: after one outage
// every batch carried a handful of files. The real SDK through a TCP relay on 127.0.0.1 that is
// closed (connections refused) and opened again on the same port, the emulator behind it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDropboxConnection } from '../../src/engine/dropbox/connection.js';
import { MAX_ARG_HEADER_BYTES } from '../../src/engine/dropbox/header-budget.js';
import { allOk, landedExactly, makeRig, patternFiles, type Rig } from './helpers.js';
import { Relay } from './tcp-relay.js';

let rig: Rig;
let relay: Relay;
before(async () => {
  rig = await makeRig();
  relay = new Relay(Number(new URL(rig.emu.url).port));
  await relay.open();
});
after(async () => {
  await relay.close();
  await rig.close();
});

test('append_batch meeting a refused connection leaves the header budget alone; the batch goes after the outage', async () => {
  // About 30 cursors: a header over the size below which a failure is never blamed on it.
  const items = await patternFiles(rig, 'outage', 30, 500);
  const connection = createDropboxConnection({
    appKey: rig.emu.appKey,
    refreshToken: rig.refreshToken,
    endpoint: `http://127.0.0.1:${relay.port}`,
  });
  const store = rig.store({ connection });
  // A first pass while the link is up leaves spare sessions (SPARE_SESSIONS) for the next one,
  // so the next upload's first call is its append_batch, as on a hub between passes.
  const first = await patternFiles(rig, 'before', 2, 500, 100);
  allOk(await store.uploadMany(first));
  await landedExactly(rig, 'before', first);

  await relay.close();
  // The whole upload is blocked (offline), as the pass reports it.
  await assert.rejects(store.uploadMany(items), /Dropbox could not be reached/);
  assert.equal(store.headers.refusals, 0, 'an outage is not a header refusal');
  assert.equal(store.headers.limit, MAX_ARG_HEADER_BYTES);
  assert.ok(
    !rig.logger.lines.some((l) => l.includes('request header as too large')),
    rig.logger.lines.join('\n'),
  );

  await relay.open(); // the same port: the link is back
  rig.emu.resetStats();
  allOk(await store.uploadMany(items));
  const stats = rig.emu.stats();
  assert.equal(stats['files/upload_session/append_batch'], 1, 'one batch for the 30 files');
  assert.equal(stats['files/upload_session/start'] ?? 0, 0, 'none went one by one');
  await landedExactly(rig, 'outage', items);
});
