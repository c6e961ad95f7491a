// How large a Dropbox-API-Arg header may be. append_batch carries one cursor per file in that
// header (about 137 bytes each with real session ids), so a full batch of 1000 would send about
// 137 KB of header. No public source says Dropbox accepts that; front ends commonly refuse far
// less, and how they refuse varies (400, 413/431, or a reset connection). So the client keeps
// every header under a conservative size, and halves that size whenever a server still refuses.

/**
 * Largest Dropbox-API-Arg value we send. Common front ends refuse one header line above 8 KiB
 * (nginx's large_client_header_buffers default 8k, Apache's LimitRequestFieldSize 8190) and a
 * whole header block above 16 KiB (Node's default); 7 KiB leaves room for the header's name,
 * Authorization and the rest inside all of them. Dropbox's real limit is unknown: `rdl-sync
 * doctor` measures the largest one a real account accepts.
 */
export const MAX_ARG_HEADER_BYTES = 7 * 1024;

/** Below this a header is never suspected of being too large (one cursor and a hash fit). */
export const MIN_ARG_HEADER_BYTES = 1024;

/** The header limit in force for one link, shared by all its uploads (it outlives a pass). */
export class HeaderBudget {
  /** Headers above this are not sent. */
  limit: number;
  /** The largest header the server has accepted so far: below it a failure is not the header's. */
  knownGood = 0;
  /** How often the server refused a header as too large (for logs and doctor). */
  refusals = 0;

  constructor(limit = MAX_ARG_HEADER_BYTES) {
    this.limit = Math.max(MIN_ARG_HEADER_BYTES, limit);
  }

  accepted(bytes: number): void {
    if (bytes > this.knownGood) this.knownGood = bytes;
  }

  /** True when a failure of a request with this header might be the header's size. */
  suspect(bytes: number): boolean {
    return bytes > this.knownGood && bytes > MIN_ARG_HEADER_BYTES;
  }

  /** The server refused a header of `bytes` as too large: send at most half of it from now on. */
  refused(bytes: number): void {
    this.refusals++;
    this.limit = Math.max(MIN_ARG_HEADER_BYTES, Math.min(this.limit, Math.floor(bytes / 2)));
  }
}

const HASH_PLACEHOLDER = '0'.repeat(64);

/** Bytes of append_batch's header around its entries: {"entries":[],"content_hash":"…"}. */
export const APPEND_BATCH_BASE_BYTES = JSON.stringify({
  entries: [],
  content_hash: HASH_PLACEHOLDER,
}).length;

/** Bytes one closing entry adds to append_batch's header (its comma included). */
export function appendEntryBytes(sessionId: string, length: number): number {
  return (
    JSON.stringify({ cursor: { session_id: sessionId, offset: 0 }, length, close: true }).length + 1
  );
}
