// Upload sessions. A session's state (a few numbers and part names) lives in memory like the rest
// of the index; its data are part files in the blob folder, so finishing a session hands the
// parts to the namespace without copying. (The state used to be written to a JSON file on every
// start and append that nothing ever read back: 0.55 ms of emulator CPU per small file, about a
// third of the small-file benchmark's time.)
import { createHash, randomBytes } from 'node:crypto';
import type { BlobDir, StoredBytes } from './blobs.js';
import { BLOCK_SIZE, ContentHasher } from './hash.js';

export const SESSION_LIFETIME_MS = 7 * 24 * 3600 * 1000;
/** Largest file an upload session may build: 2^41 - 2^22 bytes. */
export const MAX_SESSION_BYTES = 2 ** 41 - 2 ** 22;

export interface Chunk {
  offset: number;
  size: number;
  part: string;
  /** Block digests of the chunk's bytes, taken when they were received. */
  blockDigests?: Buffer[];
}

export interface Session {
  id: string;
  type: 'sequential' | 'concurrent';
  createdAtMs: number;
  closed: boolean;
  /** Sequential: bytes received so far. Concurrent: total size, known once closed. */
  size: number;
  chunks: Chunk[];
  /** Sequential only: content hash of the bytes so far, kept running so finish needs no re-read. */
  hasher?: ContentHasher;
}

export type LookupProblem =
  | { '.tag': 'not_found' }
  | { '.tag': 'closed' }
  | { '.tag': 'not_closed' }
  | { '.tag': 'too_large' }
  | { '.tag': 'incorrect_offset'; correct_offset: number }
  | { '.tag': 'concurrent_session_invalid_offset' }
  | { '.tag': 'concurrent_session_invalid_data_size' };

/** Random bytes per session id: 52 base64url characters, about 71 with the prefix, as on Dropbox. */
const ID_BYTES = 39;
/** Ids' random bytes are drawn this many at a time (one randomBytes call each was ~15 us). */
const IDS_PER_DRAW = 256;

export class SessionTable {
  private readonly sessions = new Map<string, Session>();
  private idBytes = Buffer.alloc(0);
  private idAt = 0;

  constructor(
    private readonly blobs: BlobDir,
    private readonly now: () => number,
  ) {}

  start(type: Session['type']): Session {
    // As long as real ids (about 71 characters), so header sizes measured here hold on Dropbox.
    const id = 'pid_upload_session:' + this.randomIdPart();
    const session: Session = {
      id,
      type,
      createdAtMs: this.now(),
      closed: false,
      size: 0,
      chunks: [],
    };
    if (type === 'sequential') session.hasher = new ContentHasher();
    this.sessions.set(id, session);
    return session;
  }

  private randomIdPart(): string {
    if (this.idAt + ID_BYTES > this.idBytes.length) {
      this.idBytes = randomBytes(ID_BYTES * IDS_PER_DRAW);
      this.idAt = 0;
    }
    const part = this.idBytes.toString('base64url', this.idAt, this.idAt + ID_BYTES);
    this.idAt += ID_BYTES;
    return part;
  }

  /** The live session, or undefined when unknown, consumed or older than seven days. */
  find(id: string): Session | undefined {
    const s = this.sessions.get(id);
    if (!s) return undefined;
    if (this.now() - s.createdAtMs > SESSION_LIFETIME_MS) {
      this.drop(s, true);
      return undefined;
    }
    return s;
  }

  /** Checks an append (before its body is read): what the server would refuse, if anything. */
  appendProblem(
    s: Session,
    offset: number,
    length: number,
    close: boolean,
  ): LookupProblem | undefined {
    // A concurrent session's closing append may overtake earlier ranges, which still fit inside.
    const fillsGap = s.type === 'concurrent' && !close && offset + length <= s.size;
    if (s.closed && !fillsGap) return { '.tag': 'closed' };
    if (s.type === 'sequential') {
      if (offset !== s.size) return { '.tag': 'incorrect_offset', correct_offset: s.size };
    } else {
      if (offset % BLOCK_SIZE !== 0) return { '.tag': 'concurrent_session_invalid_offset' };
      if (!close && length % BLOCK_SIZE !== 0)
        return { '.tag': 'concurrent_session_invalid_data_size' };
    }
    if (offset + length > MAX_SESSION_BYTES) return { '.tag': 'too_large' };
    return undefined;
  }

  /**
   * A concurrent session's append over bytes it already holds: the offset of the first 4 MiB
   * block already there, or undefined. Dropbox answers such an append with a plain-text 400
   * "Different data already uploaded at offset N" (quoted in a Dropbox engineer's commit to the
   * Rust SDK's resumable-upload example, seen when a resume re-sent a block that had landed), so
   * it is refused here too rather than replacing the bytes: a client that re-sends a chunk whose
   * answer it never got, or that cuts its chunks at other sizes after a restart, meets it.
   */
  occupiedAt(s: Session, offset: number, length: number): number | undefined {
    if (s.type !== 'concurrent') return undefined;
    const end = offset + Math.max(length, 1);
    let first: number | undefined;
    for (const c of s.chunks) {
      const cEnd = c.offset + Math.max(c.size, 1);
      if (c.offset < end && offset < cEnd) {
        const at = Math.max(c.offset, offset);
        const block = at - (at % BLOCK_SIZE);
        if (first === undefined || block < first) first = block;
      }
    }
    return first;
  }

  /**
   * Accepts a body. `hashed` is the session hasher copy that already saw these bytes (sequential
   * sessions hash while receiving).
   */
  addData(
    s: Session,
    offset: number,
    // (A part's own content hash is not needed: the session's running hasher, its block digests
    // or a re-read at finish give the file's.)
    bytes: Pick<StoredBytes, 'parts' | 'size' | 'blockDigests'>,
    close: boolean,
    hashed?: ContentHasher,
  ): void {
    if (hashed) s.hasher = hashed;
    else if (bytes.size > 0) s.hasher = undefined; // no running hash: assemble re-reads the parts
    if (bytes.size > 0) {
      const [part] = bytes.parts;
      if (part === undefined) throw new Error('stored bytes without a part file');
      if (s.type === 'concurrent') {
        const same = s.chunks.find((c) => c.offset === offset);
        if (same) this.blobs.remove([same.part]);
        s.chunks = s.chunks.filter((c) => c.offset !== offset);
      }
      const chunk: Chunk = { offset, size: bytes.size, part };
      if (bytes.blockDigests) chunk.blockDigests = bytes.blockDigests;
      s.chunks.push(chunk);
    } else {
      this.blobs.remove(bytes.parts);
    }
    if (s.type === 'sequential') s.size += bytes.size;
    else if (close) s.size = offset + bytes.size;
    if (close) s.closed = true;
  }

  /** A concurrent session's chunks must tile [0, size) exactly. */
  missingData(s: Session): boolean {
    let pos = 0;
    for (const c of [...s.chunks].sort((a, b) => a.offset - b.offset)) {
      if (c.offset !== pos) return true;
      pos += c.size;
    }
    return pos !== s.size;
  }

  /** The session's bytes as one stored file (hashes them across the chunk boundaries). */
  async assemble(s: Session): Promise<StoredBytes> {
    const ordered = [...s.chunks].sort((a, b) => a.offset - b.offset);
    const parts = ordered.map((c) => c.part);
    const size = ordered.reduce((n, c) => n + c.size, 0);
    if (s.hasher) return { parts, size, contentHash: s.hasher.copy().digest() };
    // Concurrent chunks all start on a block boundary and every one but the last is whole
    // blocks, so the file's blocks are the chunks' blocks in order.
    if (ordered.every((c) => c.blockDigests !== undefined)) {
      const all = Buffer.concat(ordered.flatMap((c) => c.blockDigests ?? []));
      return { parts, size, contentHash: createHash('sha256').update(all).digest('hex') };
    }
    const hasher = new ContentHasher();
    for await (const chunk of this.blobs.read(parts)) hasher.update(chunk);
    return { parts, size, contentHash: hasher.digest() };
  }

  /** Removes a session; its part files too unless a committed file now owns them. */
  drop(s: Session, removeData: boolean): void {
    this.sessions.delete(s.id);
    if (removeData) this.blobs.remove(s.chunks.map((c) => c.part));
  }
}
