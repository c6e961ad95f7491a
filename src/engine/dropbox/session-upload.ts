// Large files: a sequential upload session fed chunk by chunk from disk, hashing each byte in
// the same pass that sends it. After every acknowledged chunk the session id, offset and the
// digests of complete 4 MiB blocks are saved, so after a crash the upload continues where the
// server is instead of starting over, and the hash is rebuilt from the digests, not the file.
import { open, stat, type FileHandle } from 'node:fs/promises';
import { SyncError } from '../errors.js';
import type { Clock, SessionStore, UploadProgress, UploadSessionState } from '../ports.js';
import type { DropboxCalls } from './calls.js';
import { classifyLocalFileError } from './classify.js';
import { ChunkReader } from './chunk-reader.js';
import { ContentHasher, hasherAt } from './content-hash.js';

/** Sessions live 7 days on Dropbox; one day of margin so a resumed upload can finish. */
export const SESSION_MAX_AGE_MS = 6 * 24 * 3600 * 1000;
const MAX_RESTARTS = 2;
const MAX_REPOSITIONS = 8;

export interface SessionUploadDeps {
  calls: DropboxCalls;
  sessions: SessionStore;
  clock: Clock;
  chunkSize: number;
}

export interface ClosedSession {
  sessionId: string;
  size: number;
  mtimeMs: number;
  contentHash: string;
}

export interface LocalFileRef {
  rel: string;
  localPath: string;
}

async function local<T>(rel: string, work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (e) {
    throw classifyLocalFileError(e, { rel });
  }
}

function usable(
  saved: UploadSessionState | undefined,
  size: number,
  mtimeMs: number,
  now: number,
): boolean {
  return (
    saved !== undefined &&
    saved.size === size &&
    saved.mtimeMs === mtimeMs &&
    saved.offset >= 0 &&
    saved.offset <= size &&
    now - saved.startedAtMs < SESSION_MAX_AGE_MS
  );
}

/** Sends the whole file into a closed upload session (resuming a saved one when it still fits). */
export async function uploadToClosedSession(
  deps: SessionUploadDeps,
  file: LocalFileRef,
  signal?: AbortSignal,
  onProgress?: (p: UploadProgress) => void,
): Promise<ClosedSession> {
  const { rel, localPath } = file;
  const st = await local(rel, stat(localPath));
  const size = st.size;
  const mtimeMs = st.mtimeMs;
  const fh = await local(rel, open(localPath, 'r'));
  try {
    for (let restarts = 0; ; restarts++) {
      const saved = deps.sessions.get(rel);
      const resume = usable(saved, size, mtimeMs, deps.clock.now()) ? saved : undefined;
      if (saved !== undefined && resume === undefined) deps.sessions.delete(rel);
      const result = await sendChunks(
        deps,
        fh,
        { rel, localPath, size, mtimeMs },
        resume,
        signal,
        onProgress,
      );
      if (result !== 'restart') return result;
      deps.sessions.delete(rel);
      if (restarts >= MAX_RESTARTS) {
        throw new SyncError({
          kind: 'retry',
          code: 'server-error',
          message: `Dropbox kept losing the upload session of "${rel}"; will retry later`,
        });
      }
    }
  } finally {
    await fh.close();
  }
}

async function sendChunks(
  deps: SessionUploadDeps,
  fh: FileHandle,
  file: LocalFileRef & { size: number; mtimeMs: number },
  resume: UploadSessionState | undefined,
  signal: AbortSignal | undefined,
  onProgress: ((p: UploadProgress) => void) | undefined,
): Promise<ClosedSession | 'restart'> {
  const { rel, localPath, size, mtimeMs } = file;
  let sessionId = resume?.sessionId;
  let offset = resume?.offset ?? 0;
  const startedAtMs = resume?.startedAtMs ?? deps.clock.now();
  let hasher =
    resume === undefined
      ? new ContentHasher()
      : await local(rel, hasherAt(localPath, resume.blockDigests, offset, signal));
  const reader = new ChunkReader(fh, size, deps.chunkSize);
  const save = (): void => {
    if (sessionId === undefined) return;
    deps.sessions.set(rel, {
      sessionId,
      offset,
      blockDigests: hasher.completeBlockDigests(),
      size,
      mtimeMs,
      startedAtMs,
    });
  };
  try {
    let repositions = 0;
    while (offset < size) {
      const { bytes, hash: chunk } = await local(rel, reader.read(offset));
      const closing = offset + bytes.length === size;
      const chunkHash = chunk.digest();
      let stored: boolean;
      if (sessionId === undefined) {
        sessionId = await deps.calls.start(rel, bytes, closing, signal, chunkHash);
        stored = true;
      } else {
        const r = await deps.calls.append(
          rel,
          sessionId,
          offset,
          bytes,
          closing,
          signal,
          chunkHash,
        );
        if (r.kind === 'stored') stored = true;
        else if (r.kind === 'closed') {
          // Only our own closing append can have closed it (its answer was lost).
          if (!closing) return 'restart';
          stored = true;
        } else if (r.kind === 'gone') return 'restart';
        else if (r.correctOffset === offset + bytes.length)
          stored = true; // answer was lost
        else {
          if (r.correctOffset < 0 || r.correctOffset > size || ++repositions > MAX_REPOSITIONS)
            return 'restart';
          hasher = await local(
            rel,
            hasherAt(localPath, hasher.completeBlockDigests(), r.correctOffset, signal),
          );
          offset = r.correctOffset;
          save();
          continue;
        }
      }
      if (stored) {
        hasher.absorb(chunk, bytes);
        offset += bytes.length;
        save();
        onProgress?.({ rel, bytesSent: offset, size });
      }
    }
  } finally {
    await reader.settle();
  }
  if (sessionId === undefined) throw new Error('a large upload ended without a session'); // size 0 never comes here
  return { sessionId, size, mtimeMs, contentHash: hasher.digest() };
}
