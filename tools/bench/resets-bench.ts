// (f) A large file over a slow link that resets now and then (a hub on flaky WiFi): how many
// bytes are sent again per reset. The goal is at most one chunk per reset.
//
// Scaled down from the goal's 1 GiB at 1 Mbit/s (2.4 hours): the link rate is the real one, the
// file is smaller and the resets come more often (every minute instead of every few minutes), so
// the run takes a few minutes and each chunk still spends a comparable share of the interval
// between resets on the wire.
import { mkdir, mkdtemp, open, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDropboxConnection } from '../../src/engine/dropbox/connection.js';
import { DropboxRemoteStore } from '../../src/engine/dropbox/remote-store.js';
import type { SessionStore, UploadSessionState } from '../../src/engine/ports.js';
import { requestsByRoute } from './engine-bench.js';
import { startChildEmulator } from './upload-bench.js';

const MiB = 1024 * 1024;

export interface ResetsBenchOptions {
  fileBytes?: number;
  bytesPerSecond?: number;
  latencyMs?: number;
  resetEveryMs?: number;
  chunkSize?: number;
}

class MemorySessions implements SessionStore {
  private readonly map = new Map<string, UploadSessionState>();
  get = (rel: string): UploadSessionState | undefined => this.map.get(rel);
  set = (rel: string, s: UploadSessionState): void => void this.map.set(rel, s);
  delete = (rel: string): void => void this.map.delete(rel);
}

export async function runResetsBench(opts: ResetsBenchOptions = {}): Promise<void> {
  const o = {
    fileBytes: 24 * MiB,
    bytesPerSecond: 125_000, // 1 Mbit/s
    latencyMs: 50,
    resetEveryMs: 60_000,
    chunkSize: 16 * MiB,
    ...opts,
  };
  const dir = await mkdtemp(join(tmpdir(), 'rdl-resets-bench-'));
  const emu = await startChildEmulator({ dataDir: join(dir, 'emulator') });
  try {
    const connection = createDropboxConnection({
      appKey: emu.appKey,
      refreshToken: emu.refreshToken,
      endpoint: emu.url,
    });
    await connection.client.usersGetSpaceUsage(); // first token refresh outside the measurement
    const sessions = new MemorySessions();
    const store = new DropboxRemoteStore({
      connection,
      remoteRoot: '/bench',
      chunkSize: o.chunkSize,
      concurrency: 8,
      conflictPolicy: 'rename',
      sessions,
      // A daemon's pass retries a few times and the next pass resumes the saved session; here
      // one call to uploadMany plays all of those passes.
      retry: { maxAttempts: 30, baseMs: 500, capMs: 5_000 },
    });
    const file = join(dir, 'transit', 'big.raw');
    await mkdir(join(dir, 'transit'), { recursive: true });
    const fh = await open(file, 'w');
    const piece = Buffer.alloc(MiB);
    for (let i = 0; i < piece.length; i += 4) piece.writeUInt32LE((i * 2654435761) >>> 0, i);
    for (let off = 0; off < o.fileBytes; off += piece.length)
      await fh.write(piece, 0, Math.min(piece.length, o.fileBytes - off));
    await fh.close();
    const mtimeMs = (await stat(file)).mtimeMs;

    console.log(
      `link: ${((o.bytesPerSecond * 8) / 1e6).toFixed(1)} Mbit/s, ${o.latencyMs} ms latency, every open ` +
        `connection cut every ${o.resetEveryMs / 1000} s; one ${o.fileBytes / MiB} MiB file, configured chunk ${o.chunkSize / MiB} MiB ` +
        `(scaled from 1 GiB: ${((o.fileBytes * 8) / 1e6 / ((o.bytesPerSecond * 8) / 1e6) / 60).toFixed(1)} min of link time at this rate)`,
    );
    await emu.admin('reset-stats');
    await emu.admin('shape', {
      latencyMs: o.latencyMs,
      bytesPerSecond: o.bytesPerSecond,
      resetEveryMs: o.resetEveryMs,
    });
    const t0 = performance.now();
    // Four times the file's time on the link: beyond that the upload is not getting through.
    const deadline = t0 + ((o.fileBytes / o.bytesPerSecond) * 4 + 60) * 1000;
    const stop = new AbortController();
    const timer = setTimeout(() => stop.abort(new Error('deadline')), deadline - t0);
    let attempts = 0;
    let done = false;
    try {
      while (!done && performance.now() < deadline) {
        attempts++;
        const [out] = await store.uploadMany(
          [{ rel: 'big.raw', localPath: file, size: o.fileBytes, mtimeMs }],
          { signal: stop.signal },
        );
        // A failed run leaves its session saved: the next one resumes it, like the next pass.
        done = out?.ok === true;
      }
    } catch (e) {
      if (!stop.signal.aborted) throw e;
    } finally {
      clearTimeout(timer);
    }
    const seconds = (performance.now() - t0) / 1000;
    await emu.admin('shape', { latencyMs: 0, bytesPerSecond: 0 });
    const stats = await emu.admin<Record<string, number>>('stats');
    const resets = stats['link-resets'] ?? 0;
    const stored = done ? o.fileBytes : (sessions.get('big.raw')?.offset ?? 0);
    const resent = (stats['received-bytes'] ?? 0) - stored;
    const appends = stats['files/upload_session/append_v2'] ?? 0;
    if (!done) {
      console.log(
        `(f) NOT FINISHED: ${(stored / MiB).toFixed(0)} of ${o.fileBytes / MiB} MiB stored after ${seconds.toFixed(0)} s ` +
          `(4x its link time), ${resets} resets, ${(resent / MiB).toFixed(1)} MiB sent and lost`,
      );
      console.log(`    ${requestsByRoute(stats, 1)}`);
      return;
    }
    console.log(
      `(f) ${o.fileBytes / MiB} MiB in ${seconds.toFixed(0)} s (${((o.fileBytes / seconds / o.bytesPerSecond) * 100).toFixed(1)}% of the link), ` +
        `${resets} resets, ${(resent / MiB).toFixed(2)} MiB sent again = ${resets > 0 ? (resent / MiB / resets).toFixed(2) : '0'} MiB per reset ` +
        `(goal: at most one chunk per reset), ${attempts} upload run(s)`,
    );
    console.log(`    ${requestsByRoute(stats, 1)}; ${appends} appends`);
  } finally {
    await emu.close();
    await rm(dir, { recursive: true, force: true });
  }
}
