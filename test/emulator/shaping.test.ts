// The link shaper really slows transfers: a floor derived from the cap, never a ceiling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness } from './helpers.js';

test('bandwidth cap is shared by concurrent transfers, and latency applies per request', async () => {
  const h = await harness();
  try {
    await h.accessToken();
    const rate = 2 * 1024 * 1024; // bytes per second
    h.emu.shapeLink({ bytesPerSecond: rate });
    const mib = Buffer.alloc(1024 * 1024, 7);
    let t0 = performance.now();
    await h.dbx.filesUpload({ path: '/shape/one.bin', contents: mib });
    const single = (performance.now() - t0) / 1000;
    assert.ok(single >= (0.9 * mib.length) / rate, `1 MiB at 2 MiB/s took ${single.toFixed(2)} s`);

    t0 = performance.now();
    await Promise.all([
      h.dbx.filesUpload({ path: '/shape/a.bin', contents: Buffer.alloc(mib.length, 1) }),
      h.dbx.filesUpload({ path: '/shape/b.bin', contents: Buffer.alloc(mib.length, 2) }),
    ]);
    const both = (performance.now() - t0) / 1000;
    assert.ok(
      both >= (0.9 * 2 * mib.length) / rate,
      `2 x 1 MiB in parallel took ${both.toFixed(2)} s`,
    );

    h.emu.shapeLink({ latencyMs: 150 });
    t0 = performance.now();
    for (let i = 0; i < 3; i++) await h.dbx.checkUser({ query: String(i) });
    const calls = performance.now() - t0;
    assert.ok(calls >= 3 * 150 * 0.95, `3 calls at 150 ms latency took ${calls.toFixed(0)} ms`);
  } finally {
    await h.emu.close();
  }
});

test('a link reset cuts the upload on the wire: nothing is stored, the bytes that crossed are counted, the next request goes through', async () => {
  const h = await harness();
  try {
    await h.accessToken();
    const rate = 512 * 1024; // 2 MiB takes about 4 s
    h.emu.shapeLink({ bytesPerSecond: rate });
    const body = Buffer.alloc(2 * 1024 * 1024, 3);
    const upload = h.dbx.filesUpload({ path: '/reset/cut.bin', contents: body });
    const failed = upload.then(
      () => false,
      () => true,
    );
    // Reset once some of the body has crossed, while the request is still on the wire.
    const deadline = Date.now() + 10_000;
    while (h.emu.stats()['received-bytes']! < 256 * 1024 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    const open = h.emu.resetLink();
    assert.ok(open >= 1, `the reset found ${open} open connections`);
    assert.equal(await failed, true, 'the cut upload failed on the client');
    assert.equal(h.emu.getFile('/reset/cut.bin'), undefined, 'nothing stored from a cut body');
    const crossed = h.emu.stats()['received-bytes']!;
    assert.ok(crossed >= 256 * 1024 && crossed < body.length, `${crossed} bytes crossed`);
    assert.equal(h.emu.stats()['link-resets'], 1);

    h.emu.shapeLink({});
    await h.dbx.filesUpload({ path: '/reset/after.bin', contents: Buffer.from('ok') });
    assert.equal(h.emu.getFile('/reset/after.bin')?.size, 2);
  } finally {
    await h.emu.close();
  }
});

test('resetEveryMs cuts connections periodically until the link is shaped again', async () => {
  const h = await harness();
  try {
    await h.accessToken();
    h.emu.shapeLink({ bytesPerSecond: 256 * 1024, resetEveryMs: 300 });
    // 1 MiB at 256 KiB/s takes 4 s: a reset every 300 ms cuts it.
    await assert.rejects(
      h.dbx.filesUpload({ path: '/reset/slow.bin', contents: Buffer.alloc(1024 * 1024, 1) }),
    );
    const deadline = Date.now() + 10_000;
    while (h.emu.stats()['link-resets']! < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    assert.ok(h.emu.stats()['link-resets']! >= 2, 'resets keep coming');
    h.emu.shapeLink({});
    const before = h.emu.stats()['link-resets']!;
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(h.emu.stats()['link-resets'], before, 'no reset once the shape has none');
    await h.dbx.filesUpload({ path: '/reset/fine.bin', contents: Buffer.alloc(1024, 1) });
    assert.equal(h.emu.getFile('/reset/fine.bin')?.size, 1024);
  } finally {
    await h.emu.close();
  }
});
