// Shared set-up for the Dropbox tests: a real emulator on 127.0.0.1, a connection through the
// real SDK, a temp folder of real files, and an in-memory SessionStore (the port's simplest
// real implementation; the journal's persistent one is tested with the journal).
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../tools/emulator/index.js';
import { contentHashOf } from '../../src/engine/dropbox/content-hash.js';
import type {
  Logger,
  SessionStore,
  UploadItem,
  UploadOutcome,
  UploadSessionState,
} from '../../src/engine/ports.js';
import {
  createDropboxConnection,
  type DropboxConnection,
} from '../../src/engine/dropbox/connection.js';
import {
  DropboxRemoteStore,
  type DropboxRemoteStoreOptions,
} from '../../src/engine/dropbox/remote-store.js';

export const MiB = 1024 * 1024;

export class MapSessionStore implements SessionStore {
  readonly map = new Map<string, UploadSessionState>();
  get(rel: string): UploadSessionState | undefined {
    const s = this.map.get(rel);
    return s === undefined ? undefined : structuredClone(s);
  }
  set(rel: string, state: UploadSessionState): void {
    this.map.set(rel, structuredClone(state));
  }
  delete(rel: string): void {
    this.map.delete(rel);
  }
}

/** Logger that keeps every line, so tests can scan them (e.g. for tokens). */
export class RecordingLogger implements Logger {
  readonly lines: string[] = [];
  private push(level: string, message: string, fields?: Record<string, unknown>): void {
    this.lines.push(`${level} ${message} ${fields === undefined ? '' : JSON.stringify(fields)}`);
  }
  debug(m: string, f?: Record<string, unknown>): void {
    this.push('debug', m, f);
  }
  info(m: string, f?: Record<string, unknown>): void {
    this.push('info', m, f);
  }
  warn(m: string, f?: Record<string, unknown>): void {
    this.push('warn', m, f);
  }
  error(m: string, f?: Record<string, unknown>): void {
    this.push('error', m, f);
  }
}

export interface Rig {
  emu: Emulator;
  dir: string;
  refreshToken: string;
  connection: DropboxConnection;
  sessions: MapSessionStore;
  logger: RecordingLogger;
  store(opts?: Partial<DropboxRemoteStoreOptions>): DropboxRemoteStore;
  /** Writes a local file under the rig's folder and returns its UploadItem. */
  file(rel: string, content: Buffer | string): Promise<UploadItem>;
  item(rel: string): Promise<UploadItem>;
  close(): Promise<void>;
}

/** Fast retries: tests must not sit in backoff. */
export const FAST_RETRY = {
  baseMs: 5,
  capMs: 50,
  maxAttempts: 6,
  contentionBaseMs: 20,
  contentionCapMs: 200,
};

export async function makeRig(emuOpts: EmulatorOptions = {}): Promise<Rig> {
  const emu = await startEmulator(emuOpts);
  const dir = await mkdtemp(join(tmpdir(), 'rdl-dbx-'));
  const refreshToken = emu.issueRefreshToken();
  const connection = createDropboxConnection({
    appKey: emu.appKey,
    refreshToken,
    endpoint: emu.url,
  });
  const sessions = new MapSessionStore();
  const logger = new RecordingLogger();
  const item = async (rel: string): Promise<UploadItem> => {
    const localPath = join(dir, 'transit', rel);
    const st = await stat(localPath);
    return { rel, localPath, size: st.size, mtimeMs: st.mtimeMs };
  };
  return {
    emu,
    dir,
    refreshToken,
    connection,
    sessions,
    logger,
    store: (opts = {}) =>
      new DropboxRemoteStore({
        connection,
        remoteRoot: '/RDL/site1',
        chunkSize: 4 * MiB,
        concurrency: 4,
        conflictPolicy: 'rename',
        sessions,
        logger,
        retry: FAST_RETRY,
        ...opts,
      }),
    item,
    file: async (rel, content) => {
      const localPath = join(dir, 'transit', rel);
      await mkdir(dirname(localPath), { recursive: true });
      await writeFile(localPath, content);
      return item(rel);
    },
    close: async () => {
      await emu.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Deterministic, non-repeating bytes (so a shifted offset would change the hash). */
export function pattern(size: number, seed = 1): Buffer {
  const b = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    b[i] = x & 0xff;
  }
  return b;
}

/**
 * Requests the emulator answered since its last resetStats(): the per-route counts only (routes
 * name a path, 'files/upload'); stats() also carries link measures such as 'received-bytes'.
 */
export function requestsMade(emu: Emulator): number {
  return Object.entries(emu.stats())
    .filter(([key]) => key.includes('/'))
    .reduce((sum, [, n]) => sum + n, 0);
}

/** Polls until `done` holds (bounded: a test never waits for ever). */
export async function until(done: () => boolean, what: string): Promise<void> {
  for (const deadline = Date.now() + 10_000; !done();) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** Fails the test with the first outcome that is not ok. */
export function allOk(out: readonly UploadOutcome[]): void {
  for (const o of out) if (!o.ok) throw new Error(`${o.rel}: ${o.error.code} ${o.error.message}`);
}

/** `n` local files `<prefix>/fNNNN.bin` of `size` bytes, each its own pattern (seeds from `seed`). */
export async function patternFiles(
  rig: Rig,
  prefix: string,
  n: number,
  size: number,
  seed = 1,
): Promise<UploadItem[]> {
  const items = [];
  for (let i = 0; i < n; i++)
    items.push(
      await rig.file(`${prefix}/f${String(i).padStart(4, '0')}.bin`, pattern(size, seed + i)),
    );
  return items;
}

/** Each file is on Dropbox exactly once, under its own name, with the local file's bytes. */
export async function landedExactly(rig: Rig, prefix: string, items: UploadItem[]): Promise<void> {
  const remote = rig.emu
    .listFiles()
    .filter((f) => f.pathDisplay.startsWith(`/RDL/site1/${prefix}/`));
  assert.equal(remote.length, items.length, 'no duplicates, nothing missing');
  for (const item of items) {
    const f = rig.emu.getFile(`/RDL/site1/${item.rel}`);
    assert.equal(f?.contentHash, contentHashOf(await readFile(item.localPath)), item.rel);
  }
}
