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
