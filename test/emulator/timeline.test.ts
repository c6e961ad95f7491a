// The emulator's timeline (the benchmark's view of where a transfer's time goes): off until asked
// for, then each API request with its arrival and end, and the link's busy intervals, which add
// up to exactly the bytes it carried at its rate. Readable over the admin HTTP route as well.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './helpers.js';
import type { TimelineSnapshot } from '../../tools/emulator/timeline.js';

test('the timeline records requests and the link busy time only while recording', async () => {
  const h = await harness();
  try {
    await h.accessToken();
    const rate = 4 * 1024 * 1024;
    h.emu.shapeLink({ bytesPerSecond: rate });
    await h.dbx.filesUpload({ path: '/tl/before.bin', contents: Buffer.alloc(1000, 1) });
    assert.deepEqual(h.emu.timeline().requests, [], 'nothing recorded before record-timeline');

    const t0 = performance.timeOrigin + performance.now();
    h.emu.recordTimeline();
    const body = Buffer.alloc(1024 * 1024, 2);
    await h.dbx.filesUpload({ path: '/tl/one.bin', contents: body });
    await h.dbx.usersGetCurrentAccount();
    const t1 = performance.timeOrigin + performance.now();
    const tl = h.emu.timeline(true);

    assert.deepEqual(
      tl.requests.map((r) => [r.route, r.status]),
      [
        ['files/upload', 200],
        ['users/get_current_account', 200],
      ],
    );
    for (const r of tl.requests) {
      assert.ok(r.arrivedMs >= t0 && r.endedMs! <= t1, `${r.route} inside the test's window`);
      assert.ok(r.endedMs! >= r.arrivedMs, `${r.route} ends after it arrived`);
    }
    assert.ok(tl.requests[1]!.arrivedMs >= tl.requests[0]!.endedMs!, 'in the order sent');
    // The busy intervals are the link's own reservations: the upload's body, its answer and the
    // account call's answer, at the configured rate, nothing else.
    const busyMs = tl.linkBusy.reduce((n, [s, e]) => n + (e - s), 0);
    const carriedMs = (busyMs / 1000) * rate;
    assert.ok(
      carriedMs >= body.length && carriedMs < body.length + 4096,
      `the busy time carries ${carriedMs.toFixed(0)} bytes`,
    );
    for (let i = 1; i < tl.linkBusy.length; i++)
      assert.ok(tl.linkBusy[i]![0] > tl.linkBusy[i - 1]![1], 'merged intervals do not overlap');
    assert.equal(tl.recording, false);
    assert.equal(tl.dropped, 0);

    await h.dbx.usersGetCurrentAccount();
    assert.equal(h.emu.timeline().requests.length, 2, 'a stopped recording keeps what it had');
    h.emu.recordTimeline();
    assert.equal(h.emu.timeline().requests.length, 0, 'a new recording starts empty');
  } finally {
    await h.emu.close();
  }
});

test('the timeline over the admin route', async () => {
  const h = await harness();
  try {
    await h.accessToken();
    const admin = async (action: string, body: unknown = {}): Promise<unknown> => {
      const res = await fetch(`${h.emu.url}/__admin/${action}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${h.emu.adminToken}` },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 200, `${action}: ${res.status}`);
      return res.json();
    };
    await admin('record-timeline');
    await h.dbx.usersGetSpaceUsage();
    const tl = (await admin('timeline', { stop: true })) as TimelineSnapshot;
    assert.deepEqual(
      tl.requests.map((r) => r.route),
      ['users/get_space_usage'],
    );
    assert.equal(tl.recording, false);
    const bad = await fetch(`${h.emu.url}/__admin/timeline`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${h.emu.adminToken}` },
      body: JSON.stringify({ stop: 'yes' }),
    });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /timeline takes/);
  } finally {
    await h.emu.close();
  }
});

test('link-bytes: the body bytes of each route on the link, sent and answered', async () => {
  const h = await harness();
  try {
    await h.accessToken();
    h.emu.resetStats();
    const body = Buffer.alloc(5000, 3);
    const up = await h.dbx.filesUpload({ path: '/lb/one.bin', contents: body });
    const usage = await h.dbx.usersGetSpaceUsage();
    const bytes = h.emu.linkBytes();
    assert.deepEqual(Object.keys(bytes).sort(), ['files/upload', 'users/get_space_usage']);
    assert.equal(bytes['files/upload']!.sent, body.length, 'an upload sends its bytes');
    // Answers are Dropbox-style JSON: as long as the metadata the SDK parsed, and then some.
    assert.ok(bytes['files/upload']!.answered > JSON.stringify(up.result).length);
    assert.equal(bytes['users/get_space_usage']!.sent, 0, 'a call without argument sends none');
    assert.ok(bytes['users/get_space_usage']!.answered > JSON.stringify(usage.result).length);
    h.emu.resetStats();
    assert.deepEqual(h.emu.linkBytes(), {}, 'reset with the stats');
  } finally {
    await h.emu.close();
  }
});

test('file-count over the admin route: the files below a folder, without listing them', async () => {
  const h = await harness();
  try {
    for (const p of [
      '/RDL/site/a.csv',
      '/RDL/site/USB0/b.csv',
      '/RDL/siteB/c.csv',
      '/RDL/_fleet/site.json',
    ])
      h.emu.putFile(p, Buffer.from('x'));
    const count = async (body: unknown): Promise<Response> =>
      fetch(`${h.emu.url}/__admin/file-count`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${h.emu.adminToken}` },
        body: JSON.stringify(body),
      });
    assert.deepEqual(await (await count({})).json(), { count: 4 });
    // Below the folder only (not a sibling whose name starts the same), in any case.
    assert.deepEqual(await (await count({ under: '/rdl/SITE' })).json(), { count: 2 });
    const bad = await count({ under: 3 });
    assert.equal(bad.status, 400);
    assert.match(await bad.text(), /file-count takes/);
  } finally {
    await h.emu.close();
  }
});
