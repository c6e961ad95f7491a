// Upload sessions: start, append_v2 (append_batch in append-batch.ts), finish, start_batch, finish_batch (async) + check, finish_batch_v2.
import { randomBytes } from 'node:crypto';
import type { ArgReader } from '../args.js';
import type { StoredBytes } from '../blobs.js';
import type { RequestContext } from '../context.js';
import { BadRequest, RouteError } from '../errors.js';
import { ContentHasher } from '../hash.js';
import { fileMetadata } from '../metadata.js';
import { MAX_SESSION_BYTES, type Session, type SessionTable } from '../sessions.js';
import type { EmulatorState } from '../state.js';
import type { FaultRule } from '../faults.js';
import { appendBatch } from './append-batch.js';
import { readCommitInfo, type ParsedCommit } from './commit.js';
import { refuseOversizedBody } from './files.js';
import type { Route } from './route.js';

function declaredLength(ctx: RequestContext): number {
  return Number(ctx.req.headers['content-length'] ?? 0);
}

function readSessionType(reader: ArgReader): Session['type'] {
  return reader.union('session_type', ['sequential', 'concurrent'], 'sequential')
    .tag as Session['type'];
}

function readCursor(reader: ArgReader): { sessionId: string; offset: number } {
  const cursor = reader.object('cursor');
  return { sessionId: cursor.string('session_id'), offset: cursor.uint('offset') };
}

/** Receives a body and checks the optional per-request content_hash; nothing is kept on mismatch. */
async function receiveChecked(
  ctx: RequestContext,
  hashed?: ContentHasher,
): Promise<{ bytes: StoredBytes; hashed?: ContentHasher }> {
  const expected = ctx.arg().optionalHash('content_hash');
  const bytes = await ctx.receiveBody(hashed);
  if (expected !== undefined && expected !== bytes.contentHash) {
    ctx.state.blobs.remove(bytes.parts);
    throw new RouteError({ '.tag': 'content_hash_mismatch' });
  }
  return { bytes, hashed };
}

const start: Route = {
  name: 'files/upload_session/start',
  host: 'content',
  style: 'upload',
  auth: 'user',
  async handle(ctx) {
    refuseOversizedBody(ctx, { '.tag': 'payload_too_large' });
    const reader = ctx.arg();
    const close = reader.bool('close', false);
    const type = readSessionType(reader);
    if (type === 'concurrent' && close) {
      throw new RouteError({ '.tag': 'concurrent_session_close_not_allowed' });
    }
    const running = type === 'sequential' ? new ContentHasher() : undefined;
    const { bytes, hashed } = await receiveChecked(ctx, running);
    if (type === 'concurrent' && bytes.size > 0) {
      ctx.state.blobs.remove(bytes.parts);
      throw new RouteError({ '.tag': 'concurrent_session_data_not_allowed' });
    }
    const session = ctx.state.sessions.start(type);
    ctx.state.sessions.addData(session, 0, bytes, close, hashed);
    await ctx.json({ session_id: session.id });
  },
};

const append: Route = {
  name: 'files/upload_session/append_v2',
  host: 'content',
  style: 'upload',
  auth: 'user',
  async handle(ctx) {
    refuseOversizedBody(ctx, { '.tag': 'payload_too_large' });
    const reader = ctx.arg();
    const { sessionId, offset } = readCursor(reader);
    const close = reader.bool('close', false);
    const sessions = ctx.state.sessions;
    const session = sessions.find(sessionId);
    if (!session) throw new RouteError({ '.tag': 'not_found' });
    const problem = sessions.appendProblem(session, offset, declaredLength(ctx), close);
    if (problem) throw new RouteError(problem);
    const { bytes, hashed } = await receiveChecked(ctx, session.hasher?.copy());
    const late =
      sessions.find(sessionId) === session
        ? sessions.appendProblem(session, offset, bytes.size, close)
        : { '.tag': 'not_found' as const };
    if (late) {
      ctx.state.blobs.remove(bytes.parts);
      throw new RouteError(late);
    }
    try {
      // Checked once the body is in: "different data" says Dropbox compares what it received.
      refuseOccupied(sessions, session, offset, bytes.size);
    } catch (e) {
      ctx.state.blobs.remove(bytes.parts);
      throw e;
    }
    ctx.state.tally('append-stored-bytes', bytes.size);
    sessions.addData(session, offset, bytes, close, hashed);
    await ctx.json(null);
  },
};

/** Dropbox's plain-text 400 for a concurrent append over bytes the session holds already. */
function refuseOccupied(sessions: SessionTable, session: Session, offset: number, length: number) {
  const at = sessions.occupiedAt(session, offset, length);
  if (at !== undefined) throw new BadRequest(`Different data already uploaded at offset ${at}`);
}

type FinishFailure = Record<string, unknown>;

/**
 * Checks that a session can be committed at `offset` (its data complete and closed, or closed
 * by this finish). Returns the failure union, or undefined.
 */
function finishProblem(
  session: Session | undefined,
  offset: number,
  requireClosed: boolean,
): FinishFailure | undefined {
  if (!session) return { '.tag': 'lookup_failed', lookup_failed: { '.tag': 'not_found' } };
  if (session.type === 'concurrent') {
    if (!session.closed) return { '.tag': 'concurrent_session_not_closed' };
  } else if (requireClosed && !session.closed) {
    return { '.tag': 'lookup_failed', lookup_failed: { '.tag': 'not_closed' } };
  }
  if (offset !== session.size) {
    return {
      '.tag': 'lookup_failed',
      lookup_failed: { '.tag': 'incorrect_offset', correct_offset: session.size },
    };
  }
  return undefined;
}

/** Commits a session's data; consumes the session on success. Returns the result entry. */
async function commitSession(
  state: EmulatorState,
  session: Session,
  commitReader: ArgReader,
  fault: FaultRule | undefined,
  /** The same commit info read before (a batch checks every entry first). */
  readBefore?: ParsedCommit,
): Promise<
  { ok: true; metadata: Record<string, unknown> } | { ok: false; failure: FinishFailure }
> {
  if (session.type === 'concurrent' && state.sessions.missingData(session)) {
    return { ok: false, failure: { '.tag': 'concurrent_session_missing_data' } };
  }
  // Read again only when its meaning may have changed since: a path by id, resolved now.
  const commit =
    readBefore?.ok && !readBefore.byId ? readBefore : readCommitInfo(commitReader, state);
  if (!commit.ok) return { ok: false, failure: { '.tag': 'path', path: commit.error } };
  if (fault?.kind === 'encryption_not_supported') {
    return { ok: false, failure: { '.tag': 'encryption_not_supported' } };
  }
  const bytes = await state.sessions.assemble(session);
  // Another finish may have committed this session while its chunks were being read.
  if (state.sessions.find(session.id) !== session) {
    return {
      ok: false,
      failure: { '.tag': 'lookup_failed', lookup_failed: { '.tag': 'not_found' } },
    };
  }
  const result = state.ns.commit(commit.spec, bytes, {
    forceInsufficientSpace: fault?.kind === 'insufficient_space',
  });
  if (!result.ok) return { ok: false, failure: { '.tag': 'path', path: result.error } };
  state.sessions.drop(session, !result.written);
  if (result.written && !commit.spec.mute) state.count('notifications');
  return { ok: true, metadata: fileMetadata(result.entry) };
}

const finish: Route = {
  name: 'files/upload_session/finish',
  host: 'content',
  style: 'upload',
  auth: 'user',
  async handle(ctx) {
    refuseOversizedBody(ctx, { '.tag': 'payload_too_large' });
    const reader = ctx.arg();
    const { sessionId, offset } = readCursor(reader);
    const commitReader = reader.object('commit');
    readCommitInfo(commitReader, ctx.state); // schema errors are 400s before anything else
    const sessions = ctx.state.sessions;
    const session = sessions.find(sessionId);
    const length = declaredLength(ctx);
    const lookupProblem = finishProblem(session, offset, false);
    if (lookupProblem) throw new RouteError(lookupProblem);
    if (!session) throw new Error('unreachable');
    if (session.type === 'concurrent' && length > 0) {
      throw new RouteError({ '.tag': 'concurrent_session_data_not_allowed' });
    }
    if (session.closed && length > 0) {
      throw new RouteError({ '.tag': 'lookup_failed', lookup_failed: { '.tag': 'closed' } });
    }
    if (offset + length > MAX_SESSION_BYTES) {
      throw new RouteError({ '.tag': 'lookup_failed', lookup_failed: { '.tag': 'too_large' } });
    }
    const { bytes, hashed } = await receiveChecked(ctx, session.hasher?.copy());
    if (session.type === 'concurrent' && bytes.size > 0) {
      ctx.state.blobs.remove(bytes.parts);
      throw new RouteError({ '.tag': 'concurrent_session_data_not_allowed' });
    }
    // A racing request on the same session may have landed while this body streamed in.
    const late = finishProblem(sessions.find(sessionId), offset, false);
    if (late || (session.closed && bytes.size > 0)) {
      ctx.state.blobs.remove(bytes.parts);
      throw new RouteError(
        late ?? { '.tag': 'lookup_failed', lookup_failed: { '.tag': 'closed' } },
      );
    }
    // The bytes belong to the session from here on: a failed commit can be retried with an
    // empty body at the new offset, as the spec says.
    sessions.addData(session, offset, bytes, true, hashed);
    if (!ctx.acquireLock()) throw new RouteError({ '.tag': 'too_many_write_operations' });
    const outcome = await commitSession(ctx.state, session, commitReader, ctx.fault);
    if (!outcome.ok) throw new RouteError(outcome.failure);
    await ctx.json(outcome.metadata);
  },
};

const MAX_BATCH = 1000;
/** Entries of a batch committed between two turns of the event loop. */
const BATCH_YIELD_EVERY = 32;

/** Runs a whole batch under one lock acquisition; returns the per-entry result list. */
async function runBatch(ctx: RequestContext): Promise<unknown[]> {
  const entries = ctx.arg().list('entries');
  if (entries.length > MAX_BATCH) {
    ctx
      .arg()
      .fail('entries', `list has ${entries.length} items, more than the maximum of ${MAX_BATCH}`);
  }
  const parsed = entries.map((e) => {
    const cursor = readCursor(e);
    const commitReader = e.object('commit');
    const commit = readCommitInfo(commitReader, ctx.state);
    return { cursor, commitReader, commit };
  });
  const locked = ctx.acquireLock();
  if (!locked)
    return parsed.map(() => ({
      '.tag': 'failure',
      failure: { '.tag': 'too_many_write_operations' },
    }));
  return ctx.state.lock.holdDuring(() => commitAll(ctx, parsed));
}

async function commitAll(
  ctx: RequestContext,
  parsed: Array<{
    cursor: { sessionId: string; offset: number };
    commitReader: ArgReader;
    commit: ParsedCommit;
  }>,
): Promise<unknown[]> {
  const results: unknown[] = [];
  for (const [i, { cursor, commitReader, commit }] of parsed.entries()) {
    // A long batch lets other requests in now and then, as Dropbox's servers serve them meanwhile
    // (they do not share one thread with this commit); each entry is looked up when its turn
    // comes, as after an awaited read below.
    if (i > 0 && i % BATCH_YIELD_EVERY === 0) await new Promise((r) => setImmediate(r));
    const session = ctx.state.sessions.find(cursor.sessionId);
    const problem = finishProblem(session, cursor.offset, true);
    if (problem || !session) {
      results.push({ '.tag': 'failure', failure: problem });
      continue;
    }
    const outcome = await commitSession(ctx.state, session, commitReader, ctx.fault, commit);
    results.push(
      outcome.ok
        ? { '.tag': 'success', ...outcome.metadata }
        : { '.tag': 'failure', failure: outcome.failure },
    );
  }
  return results;
}

const finishBatchV2: Route = {
  name: 'files/upload_session/finish_batch_v2',
  host: 'api',
  style: 'rpc',
  auth: 'user',
  async handle(ctx) {
    await ctx.json({ entries: await runBatch(ctx) });
  },
};

const finishBatch: Route = {
  name: 'files/upload_session/finish_batch',
  host: 'api',
  style: 'rpc',
  auth: 'user',
  async handle(ctx) {
    const entries = await runBatch(ctx);
    const id = 'dbjid:' + randomBytes(24).toString('base64url');
    ctx.state.jobs.set(id, { entries, checks: 0 });
    await ctx.json({ '.tag': 'async_job_id', async_job_id: id });
  },
};

const finishBatchCheck: Route = {
  name: 'files/upload_session/finish_batch/check',
  host: 'api',
  style: 'rpc',
  auth: 'user',
  async handle(ctx) {
    const id = ctx.arg().string('async_job_id');
    const job = ctx.state.jobs.get(id);
    if (!job) throw new RouteError({ '.tag': 'invalid_async_job_id' });
    // Like the real service, the first poll usually finds the job still running.
    job.checks++;
    if (job.checks === 1) return ctx.json({ '.tag': 'in_progress' });
    await ctx.json({ '.tag': 'complete', entries: job.entries });
  },
};

const startBatch: Route = {
  name: 'files/upload_session/start_batch',
  host: 'api',
  style: 'rpc',
  auth: 'user',
  async handle(ctx) {
    const reader = ctx.arg();
    const count = reader.uint('num_sessions');
    if (count < 1 || count > MAX_BATCH) {
      throw new BadRequest(
        `request body: num_sessions: ${count} is not between 1 and ${MAX_BATCH}`,
      );
    }
    const type = readSessionType(reader);
    const ids = Array.from({ length: count }, () => ctx.state.sessions.start(type).id);
    await ctx.json({ session_ids: ids });
  },
};

export const sessionRoutes: Route[] = [
  start,
  append,
  appendBatch,
  finish,
  finishBatch,
  finishBatchV2,
  finishBatchCheck,
  startBatch,
];
