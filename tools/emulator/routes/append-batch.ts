// files/upload_session/append_batch: one body carrying the next bytes of many sessions, split by
// the entries' lengths in order. Each entry succeeds or fails on its own (like append_v2); the
// request as a whole fails only for the body itself (too large, hash or length mismatch).
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import type { ArgReader } from '../args.js';
import type { BlobDir } from '../blobs.js';
import type { RequestContext } from '../context.js';
import { RouteError } from '../errors.js';
import type { ContentHasher } from '../hash.js';
import type { LookupProblem, SessionTable } from '../sessions.js';
import { refuseOversizedBody } from './files.js';
import type { Route } from './route.js';

const MAX_ENTRIES = 1000;
/** The received body is read back this much at a time (a body of small files in one read). */
const READ_WINDOW = 4 * 1024 * 1024;

interface Entry {
  sessionId: string;
  offset: number;
  length: number;
  close: boolean;
}

function readEntries(reader: ArgReader): Entry[] {
  const list = reader.list('entries');
  if (list.length > MAX_ENTRIES) {
    reader.fail(
      'entries',
      `list has ${list.length} items, more than the maximum of ${MAX_ENTRIES}`,
    );
  }
  return list.map((e) => {
    const cursor = e.object('cursor');
    return {
      sessionId: cursor.string('session_id'),
      offset: cursor.uint('offset'),
      length: e.uint('length'),
      close: e.bool('close', false),
    };
  });
}

/**
 * The received body, read back in order: windows of it in memory, so a body of a thousand small
 * entries costs one read instead of one per entry.
 */
class BodyReader {
  private window = Buffer.alloc(0);
  /** Where `window` starts in the body. */
  private at = 0;

  constructor(
    private readonly fd: number,
    private readonly size: number,
  ) {}

  /** The bytes [position, position + length), in one or more pieces. */
  *slices(position: number, length: number): Generator<Buffer> {
    for (let done = 0; done < length;) {
      const from = position + done;
      if (from < this.at || from >= this.at + this.window.length) this.fill(from);
      const start = from - this.at;
      const piece = this.window.subarray(
        start,
        Math.min(this.window.length, start + length - done),
      );
      if (piece.length === 0) throw new Error('append_batch body shorter than its entries');
      done += piece.length;
      yield piece;
    }
  }

  private fill(from: number): void {
    const want = Math.min(READ_WINDOW, Math.max(0, this.size - from));
    const buf = Buffer.allocUnsafe(want);
    let got = 0;
    while (got < want) {
      const n = readSync(this.fd, buf, got, want - got, from + got);
      if (n === 0) break;
      got += n;
    }
    this.window = buf.subarray(0, got);
    this.at = from;
  }
}

/**
 * Copies one entry's slice of the received body into a part file of its own, feeding the
 * session's running hasher (a session without one is hashed from its parts at finish).
 */
function splitOff(
  blobs: BlobDir,
  body: BodyReader,
  position: number,
  length: number,
  hasher: ContentHasher | undefined,
): { parts: string[]; size: number } {
  const path = blobs.newPath();
  const out = openSync(path, 'w');
  try {
    for (const piece of body.slices(position, length)) {
      hasher?.update(piece);
      writeSync(out, piece);
    }
  } finally {
    closeSync(out);
  }
  return { parts: [path], size: length };
}

function entryProblem(
  sessions: SessionTable,
  entry: Entry,
): { problem: LookupProblem } | { problem: undefined } {
  const session = sessions.find(entry.sessionId);
  if (!session) return { problem: { '.tag': 'not_found' } };
  // A replayed closing entry (its answer was lost) meets a closed session: Dropbox answers
  // `closed`, as its own uploader code expects, not incorrect_offset.
  if (session.closed) return { problem: { '.tag': 'closed' } };
  if (session.type === 'sequential' && entry.offset !== session.size) {
    return { problem: { '.tag': 'incorrect_offset', correct_offset: session.size } };
  }
  return { problem: sessions.appendProblem(session, entry.offset, entry.length, entry.close) };
}

export const appendBatch: Route = {
  name: 'files/upload_session/append_batch',
  host: 'content',
  style: 'upload',
  auth: 'user',
  async handle(ctx: RequestContext) {
    refuseOversizedBody(ctx, { '.tag': 'payload_too_large' });
    const reader = ctx.arg();
    const entries = readEntries(reader);
    const expectedHash = reader.optionalHash('content_hash');
    const total = entries.reduce((n, e) => n + e.length, 0);
    const declared = Number(ctx.req.headers['content-length'] ?? 0);
    if (declared !== total) {
      await ctx.drain();
      throw new RouteError({ '.tag': 'length_mismatch' });
    }
    const body = await ctx.receiveBody();
    const { blobs, sessions } = ctx.state;
    try {
      if (body.size !== total) throw new RouteError({ '.tag': 'length_mismatch' });
      if (expectedHash !== undefined && expectedHash !== body.contentHash) {
        throw new RouteError({ '.tag': 'content_hash_mismatch' });
      }
      const [part] = body.parts;
      const source = part === undefined ? undefined : openSync(part, 'r');
      const reader = source === undefined ? undefined : new BodyReader(source, body.size);
      const results: unknown[] = [];
      try {
        let position = 0;
        // Entries apply in order, after the whole body arrived: a racing append that landed
        // meanwhile is seen here, and a second entry for the same session follows the first.
        for (const entry of entries) {
          const { problem } = entryProblem(sessions, entry);
          const session = sessions.find(entry.sessionId);
          if (problem || !session || reader === undefined) {
            results.push({ '.tag': 'failure', failure: problem ?? { '.tag': 'other' } });
          } else {
            const hasher = session.hasher?.copy();
            const bytes = splitOff(blobs, reader, position, entry.length, hasher);
            sessions.addData(session, entry.offset, bytes, entry.close, hasher);
            results.push({ '.tag': 'success' });
          }
          position += entry.length;
        }
      } finally {
        if (source !== undefined) closeSync(source);
      }
      await ctx.json({ entries: results });
    } finally {
      blobs.remove(body.parts);
    }
  },
};
