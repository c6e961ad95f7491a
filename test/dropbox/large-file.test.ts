// A 2 GiB file (sparse, with marks written at a few offsets so a misplaced chunk would show)
// goes up in 8 MiB chunks while memory stays flat: peak RSS growth is sampled during the upload.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeRig, MiB, type Rig } from './helpers.js';
import { PROGRESS_EVERY_MS } from '../../src/engine/dropbox/session-upload.js';

const SIZE = 2 * 1024 * MiB;
const BLOCK = 4 * MiB;
const MARKS = [0, 4 * MiB - 3, 1024 * MiB + 17, SIZE - 100];
const mark = (at: number): Buffer => Buffer.from(`mark at ${at}`);

/**
 * The expected content hash, worked out independently of the code under test and without
 * reading 2 GiB: every block is zeros except the few holding a mark.
 */
function expectedHash(): string {
  const zeroDigest = createHash('sha256').update(Buffer.alloc(BLOCK)).digest();
  const digests: Buffer[] = [];
  for (let start = 0; start < SIZE; start += BLOCK) {
    const hits = MARKS.filter((at) => at < start + BLOCK && at + mark(at).length > start);
    if (hits.length === 0) {
      digests.push(zeroDigest);
      continue;
    }
    const block = Buffer.alloc(BLOCK);
    for (const at of hits) {
      // A mark may straddle two blocks: copy the part that falls in this one.
      const skip = Math.max(0, start - at);
      mark(at).copy(block, at + skip - start, skip, Math.min(mark(at).length, start + BLOCK - at));
    }
    digests.push(createHash('sha256').update(block).digest());
  }
  return createHash('sha256').update(Buffer.concat(digests)).digest('hex');
}
let rig: Rig;
let emulatorData: string;
before(async () => {
  // The emulator's copy of the 2 GiB goes to RAM when it can: its disk speed is not under test.
  emulatorData = await mkdtemp(join(existsSync('/dev/shm') ? '/dev/shm' : tmpdir(), 'rdl-emu-'));
  rig = await makeRig({ dataDir: emulatorData });
});
after(async () => {
  await rig.close();
  await rm(emulatorData, { recursive: true, force: true });
});

test('a 2 GiB file uploads in 8 MiB chunks with bounded memory and a matching hash', async () => {
  const seed = await rig.file('big/two-gib.bin', '');
  const fh = await open(seed.localPath, 'r+');
  try {
    await fh.truncate(SIZE);
    for (const at of MARKS) await fh.write(mark(at), 0, undefined, at);
  } finally {
    await fh.close();
  }
  const item = await rig.item('big/two-gib.bin');
  assert.equal(item.size, SIZE);
  const expected = expectedHash();

  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 25);
  const progress: number[] = [];
  rig.emu.resetStats();
  const startedMs = performance.now();
  let elapsedMs: number;
  try {
    const [out] = await rig.store({ chunkSize: 8 * MiB }).uploadMany([item], {
      onProgress: (p) => {
        progress.push(p.bytesSent);
        peak = Math.max(peak, process.memoryUsage().rss);
      },
    });
    assert.ok(out?.ok, out?.ok === false ? out.error.message : 'no outcome');
    assert.equal(out.contentHash, expected);
  } finally {
    elapsedMs = Math.round(performance.now() - startedMs);
    clearInterval(sampler);
  }
  // A first 4 MiB chunk alone measures the link, then half a chunk (4 MiB) so the pipelined pair
  // ends apart, then 8 MiB chunks (session-upload.ts LinkPace).
  const chunks = rig.emu.stats()['files/upload_session/append_v2'];
  assert.equal(chunks, 2 + Math.ceil((SIZE - 8 * MiB) / (8 * MiB)));
  // Progress as the bytes go, not only as chunks land: from 0 at once, never backwards, to all.
  assert.equal(progress[0], 0);
  assert.equal(progress.at(-1), SIZE);
  assert.ok(
    progress.every((b, i) => i === 0 || b > progress[i - 1]!),
    'progress never goes back',
  );
  // Told steadily as the bytes go, but a few times a second at most, however fast chunks land
  // (session-upload.ts PROGRESS_EVERY_MS; before, once per 1 MiB piece: thousands here).
  const ticks = elapsedMs / PROGRESS_EVERY_MS;
  assert.ok(
    progress.length >= ticks / 2 && progress.length <= Math.ceil(ticks) + 2,
    `${progress.length} progress reports in ${elapsedMs} ms (${chunks} chunks)`,
  );
  const remote = rig.emu.getFile('/RDL/site1/big/two-gib.bin');
  assert.equal(remote?.size, SIZE);
  assert.equal(remote?.contentHash, expected);
  const growthMB = (peak - baseline) / 1e6;
  // The emulator runs in this process too, so this bounds both sides; generous on purpose.
  assert.ok(growthMB < 200, `peak RSS grew by ${growthMB.toFixed(0)} MB`);
  console.log(`2 GiB upload: peak RSS growth ${growthMB.toFixed(0)} MB`);
});
