// `rdl-sync doctor`: a short, safe probe of a real Dropbox account, so the first run against real
// Dropbox confirms or corrects what the client only infers (docs/dropbox-facts.md): the largest
// request header the service accepts, how it answers a replayed closing append, the content hash
// of a known file, quota and permissions. Everything it writes goes into one scratch folder that
// it deletes at the end; upload sessions it opens are never committed (Dropbox drops them).
import { randomBytes } from 'node:crypto';
import type { Dropbox, files } from 'dropbox';
import { SyncError } from '../errors.js';
import { headerRefusal } from './calls.js';
import {
  classifyDropboxError,
  errorUnion,
  isDropboxHttpError,
  networkDetail,
  neverConnected,
  unionTags,
} from './classify.js';
import type { DropboxConnection } from './connection.js';
import { contentHashOf } from './content-hash.js';
import {
  APPEND_BATCH_BASE_BYTES,
  appendEntryBytes,
  MAX_ARG_HEADER_BYTES,
} from './header-budget.js';

export interface DoctorCheck {
  name: string;
  /** 'info' for measurements that are neither right nor wrong. */
  result: 'ok' | 'problem' | 'info';
  detail: string;
}

export interface DoctorReport {
  /** False when Dropbox could not be reached at all (nothing else was tried). */
  reached: boolean;
  /** Why not, when it was not: the network's words, or the proxy's (its failure or refusal). */
  unreachedWhy?: string;
  /**
   * Which failure it was, with where to look (refused at an address, no route, no name, a proxy's
   * answer), in the words the daemon's status gives; absent when the error does not tell.
   */
  unreachedDetail?: string;
  checks: DoctorCheck[];
}

/** One byte 'A': its Dropbox content hash is a published test vector (rclone's dbhash tests). */
const KNOWN_BYTES = Buffer.from('A');
const KNOWN_HASH = '1cd6ef71e6e0ff46ad2609d403dc3fee244417089aa4461245a4e4fe23a55e42';
/** Cursor counts tried in one append_batch header, smallest first (about 137 bytes each). */
const HEADER_STEPS = [16, 32, 64, 128, 256, 512, 1000];

function describe(e: unknown): string {
  if (isDropboxHttpError(e)) {
    const tags = unionTags(errorUnion(e)).join('/');
    return `HTTP ${e.status}${tags ? ` ${tags}` : ''}`;
  }
  return classifyDropboxError(e).message;
}

function isUnreachable(e: unknown): boolean {
  return !isDropboxHttpError(e) && classifyDropboxError(e).code === 'network';
}

function missingScope(e: unknown): string | undefined {
  if (!isDropboxHttpError(e) || e.status !== 401) return undefined;
  const union = errorUnion(e) as { required_scope?: unknown };
  if (!unionTags(union).includes('missing_scope')) return undefined;
  return typeof union.required_scope === 'string' ? union.required_scope : 'unknown';
}

class Probe {
  readonly checks: DoctorCheck[] = [];
  constructor(
    readonly conn: DropboxConnection,
    private readonly signal?: AbortSignal,
  ) {}

  call<T>(fn: (c: Dropbox, req: { signal?: AbortSignal }) => Promise<T>): Promise<T> {
    const req = this.signal ? { signal: this.signal } : {};
    return this.conn.call((c) => fn(c, req));
  }

  add(name: string, result: DoctorCheck['result'], detail: string): void {
    this.checks.push({ name, result, detail });
  }

  /** Records a failed step: a missing permission is named as such. */
  failed(name: string, e: unknown): void {
    const scope = missingScope(e);
    this.add(
      name,
      'problem',
      scope
        ? `the app lacks the permission "${scope}": enable it in the App Console, then connect again`
        : describe(e),
    );
  }
}

async function sessionIds(p: Probe, count: number): Promise<string[]> {
  const ids: string[] = [];
  while (ids.length < count) {
    const want = Math.min(1000, count - ids.length);
    const r = await p.call((c, req) => c.filesUploadSessionStartBatch({ num_sessions: want }, req));
    ids.push(...r.result.session_ids);
  }
  return ids;
}

/** Sends append_batch headers of growing size until one is refused. */
async function probeHeaders(p: Probe): Promise<void> {
  const ids = await sessionIds(
    p,
    HEADER_STEPS.reduce((a, b) => a + b, 0),
  );
  let largest = 0;
  let refusedAt: { bytes: number; how: string } | undefined;
  let next = 0;
  for (const n of HEADER_STEPS) {
    const mine = ids.slice(next, next + n);
    next += n;
    const entries = mine.map((id) => ({
      cursor: { session_id: id, offset: 0 },
      length: 0,
      close: true,
    }));
    const bytes = mine.reduce((sum, id) => sum + appendEntryBytes(id, 0), APPEND_BATCH_BASE_BYTES);
    try {
      await p.call((c, req) =>
        c.filesUploadSessionAppendBatch(
          { entries, content_hash: contentHashOf(Buffer.alloc(0)), contents: Buffer.alloc(0) },
          req,
        ),
      );
      largest = bytes;
    } catch (e) {
      // A connection never made (the network, a proxy's tunnel) refused no header: thrown on.
      if (headerRefusal(e) || (isUnreachable(e) && !neverConnected(e))) {
        refusedAt = { bytes, how: isDropboxHttpError(e) ? `HTTP ${e.status}` : 'connection reset' };
        break;
      }
      throw e;
    }
  }
  const verdict = largest >= MAX_ARG_HEADER_BYTES ? 'ok' : 'problem';
  p.add(
    'largest request header',
    verdict,
    `${largest} bytes accepted${refusedAt ? `, ${refusedAt.bytes} refused (${refusedAt.how})` : ' (the largest tried)'}; RDL Sync sends at most ${MAX_ARG_HEADER_BYTES}${verdict === 'ok' ? '' : ' and halves on refusal'}`,
  );
}

/** How a closing append sent again (its answer "lost") is answered, for append_v2 and append_batch. */
async function probeReplay(p: Probe): Promise<void> {
  const answers: string[] = [];
  const [single, batched] = await sessionIds(p, 2);
  if (single === undefined || batched === undefined) throw new Error('start_batch gave no ids');
  const append = () =>
    p.call((c, req) =>
      c.filesUploadSessionAppendV2(
        { cursor: { session_id: single, offset: 0 }, close: true, contents: KNOWN_BYTES },
        req,
      ),
    );
  await append();
  try {
    await append();
    answers.push('append_v2: accepted again');
  } catch (e) {
    if (!isDropboxHttpError(e) || e.status !== 409) throw e;
    answers.push(`append_v2: ${unionTags(errorUnion(e)).join('/')}`);
  }
  const batch = () =>
    p.call((c, req) =>
      c.filesUploadSessionAppendBatch(
        {
          entries: [{ cursor: { session_id: batched, offset: 0 }, length: 1, close: true }],
          contents: KNOWN_BYTES,
        },
        req,
      ),
    );
  await batch();
  const again = (await batch()).result.entries[0];
  answers.push(
    `append_batch: ${again === undefined ? 'no entry' : again['.tag'] === 'success' ? 'accepted again' : unionTags(again.failure).join('/')}`,
  );
  const expected = answers.every((a) => a.endsWith(': closed'));
  p.add(
    'replayed closing append',
    expected ? 'ok' : 'info',
    `${answers.join('; ')}${expected ? ' (as RDL Sync expects)' : ' (RDL Sync also accepts incorrect_offset at the end)'}`,
  );
}

async function probeFiles(p: Probe, folder: string): Promise<void> {
  // Not .txt: the sites' merge tool joins every *.txt below a site folder, and a doctor cut short
  // before its clean-up left this file there for it.
  const path = `${folder}/${KNOWN_NAME}`;
  let uploaded: files.FileMetadata;
  try {
    uploaded = (
      await p.call((c, req) =>
        c.filesUpload({ path, contents: KNOWN_BYTES, mode: { '.tag': 'add' }, mute: true }, req),
      )
    ).result;
  } catch (e) {
    p.failed('upload a file (files.content.write)', e);
    return;
  }
  const same = uploaded.content_hash === KNOWN_HASH && contentHashOf(KNOWN_BYTES) === KNOWN_HASH;
  p.add(
    'content hash of a known file',
    same ? 'ok' : 'problem',
    same
      ? 'Dropbox and RDL Sync agree'
      : `Dropbox says ${uploaded.content_hash ?? 'nothing'}, expected ${KNOWN_HASH}`,
  );
  try {
    const listed = await p.call((c, req) => c.filesListFolder({ path: folder }, req));
    const seen = listed.result.entries.some((e) => e.name === KNOWN_NAME);
    p.add(
      'list a folder (files.metadata.read)',
      seen ? 'ok' : 'problem',
      seen ? 'works' : 'the file was not listed',
    );
  } catch (e) {
    p.failed('list a folder (files.metadata.read)', e);
  }
}

const KNOWN_NAME = 'known-A.bin';
/**
 * The name of a doctor's scratch folder: `.rdl-sync-doctor-`, when it was made (Unix seconds) and
 * 8 hex digits; without the time, one an earlier version made.
 */
const SCRATCH_NAME = /^\.rdl-sync-doctor-(?:(\d{9,12})-)?[0-9a-f]{8}$/;
/**
 * A scratch folder younger than this may be another doctor's at work now (two ssh sessions, or
 * hubs sharing a site folder): not taken as left over. A probe takes seconds.
 */
const SCRATCH_LEFT_AFTER_MS = 3_600_000;
/** Pages of the site folder's listing looked through for earlier scratch folders. */
const SCRATCH_LOOK_PAGES = 20;

/**
 * Scratch folders an earlier doctor left (interrupted, or its clean-up refused): each run made a
 * new one, so nothing ever removed them. Not found (no site folder yet) or not listable: nothing
 * to say here, the steps after it report the account's trouble.
 */
async function removeEarlierScratch(p: Probe, remoteRoot: string): Promise<void> {
  const left: string[] = [];
  try {
    let page = (await p.call((c, req) => c.filesListFolder({ path: remoteRoot }, req))).result;
    for (let n = 1; ; n++) {
      for (const e of page.entries) {
        const m = e['.tag'] === 'folder' ? SCRATCH_NAME.exec(e.name) : null;
        const madeMs = m?.[1] === undefined ? 0 : Number(m[1]) * 1000;
        if (m && Date.now() - madeMs >= SCRATCH_LEFT_AFTER_MS) left.push(e.path_display ?? e.name);
      }
      if (!page.has_more || n >= SCRATCH_LOOK_PAGES) break;
      const cursor = page.cursor;
      page = (await p.call((c, req) => c.filesListFolderContinue({ cursor }, req))).result;
    }
  } catch {
    return;
  }
  const removed: string[] = [];
  for (const path of left) {
    try {
      await p.call((c, req) => c.filesDeleteV2({ path }, req));
      removed.push(path);
    } catch (e) {
      p.add('earlier scratch folder', 'problem', `could not remove ${path}: ${describe(e)}`);
    }
  }
  if (removed.length > 0)
    p.add(
      'earlier scratch folder',
      'ok',
      `removed ${removed.join(', ')}, left by a doctor that was interrupted`,
    );
}

/**
 * Runs the probe in `<remoteRoot>/.rdl-sync-doctor-<random>` and deletes that folder again, also
 * when `signal` cuts the probe short (Ctrl-C): the clean-up itself is not stopped. Never throws
 * for Dropbox's answers: they are what it reports.
 */
export async function runDoctor(
  conn: DropboxConnection,
  remoteRoot: string,
  signal?: AbortSignal,
): Promise<DoctorReport> {
  const p = new Probe(conn, signal);
  try {
    const a = (await p.call((c) => c.usersGetCurrentAccount())).result;
    p.add(
      'account',
      'ok',
      `${a.name.display_name} <${a.email}>, ${a.account_type['.tag']}${a.root_info['.tag'] === 'team' ? ', team member' : ''}`,
    );
  } catch (e) {
    const c = e instanceof SyncError ? e : classifyDropboxError(e);
    if (isUnreachable(e) || c.code === 'proxy-refused') {
      const detail = networkDetail(e);
      return {
        reached: false,
        unreachedWhy: c.message,
        ...(detail === null ? {} : { unreachedDetail: detail }),
        checks: [],
      };
    }
    if (missingScope(e)) p.failed('account (account_info.read)', e);
    else p.add('account', 'problem', c.message);
    return { reached: true, checks: p.checks };
  }
  try {
    const u = (await p.call((c) => c.usersGetSpaceUsage())).result;
    const a = u.allocation;
    const gib = (n: number): string => `${(n / 1024 ** 3).toFixed(1)} GiB`;
    const total = a['.tag'] === 'individual' || a['.tag'] === 'team' ? a.allocated : 0;
    p.add(
      'space',
      total > 0 && u.used >= total ? 'problem' : 'info',
      `${gib(u.used)} used of ${gib(total)}${a['.tag'] === 'team' ? ' (team allocation)' : ''}`,
    );
  } catch (e) {
    p.failed('space', e);
  }
  const folder = `${remoteRoot}/.rdl-sync-doctor-${Math.floor(Date.now() / 1000)}-${randomBytes(4).toString('hex')}`;
  try {
    await removeEarlierScratch(p, remoteRoot);
    await probeFiles(p, folder);
    await probeHeaders(p).catch((e: unknown) => p.failed('largest request header', e));
    await probeReplay(p).catch((e: unknown) => p.failed('replayed closing append', e));
  } finally {
    try {
      // Not under `signal`: an interrupted probe still removes what it wrote.
      await new Probe(p.conn).call((c, req) => c.filesDeleteV2({ path: folder }, req));
      p.add('clean up', 'ok', `removed ${folder}`);
    } catch (e) {
      const gone = isDropboxHttpError(e) && unionTags(errorUnion(e)).includes('not_found');
      if (!gone) p.add('clean up', 'problem', `could not remove ${folder}: ${describe(e)}`);
    }
  }
  return { reached: true, checks: p.checks };
}
