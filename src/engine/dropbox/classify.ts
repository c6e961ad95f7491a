// The one place where raw Dropbox, network and local-file failures become SyncErrors. Everything
// above this module branches on `kind`/`code` only. Messages are built here from known parts, never
// copied from a request, so no token can leak into them.
import { SyncError } from '../errors.js';
import { RATE_LIMIT_WAIT_MS } from '../retry-policy.js';
import { anyCause, findInCauses } from '../net/cause-chain.js';
import { proxyErrorIn } from '../net/proxy-tunnel.js';
import { proxyRulesFromEnv } from '../net/proxy-env.js';
import { trustFix, untrustedCertificate, type UntrustedCertificate } from '../net/tls-trust.js';
import { formatUtcMinute } from '../format-utc.js';
import { formatDuration } from '../format-duration.js';
import { idleTimeoutMsOf } from '../net/http-fetch.js';
import { CLOCK_SET_AFTER_MS } from '../settings/remote-root.js';
import { DROPBOX_IGNORED_NAMES } from '../scan/ignore.js';

/** What the failing call was about, so messages can name the file. */
export interface ErrorContext {
  /** The file's path below the watch folder. */
  rel?: string;
}

/** Shape of the SDK's DropboxResponseError, checked structurally (no instanceof across builds). */
export interface DropboxHttpError {
  name: 'DropboxResponseError';
  status: number;
  headers?: { get(name: string): string | null };
  error: unknown;
}

export function isDropboxHttpError(e: unknown): e is DropboxHttpError {
  return (
    typeof e === 'object' &&
    e !== null &&
    (e as { name?: unknown }).name === 'DropboxResponseError' &&
    typeof (e as { status?: unknown }).status === 'number'
  );
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null;

/** The route error union of a 4xx JSON body ({error_summary, error}), or the body itself. */
export function errorUnion(e: DropboxHttpError): unknown {
  return isObject(e.error) && 'error' in e.error ? e.error.error : e.error;
}

/** Every `.tag` in a union, outermost first (what error_summary encodes, without the dots). */
export function unionTags(union: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) return;
    if (!isObject(v)) return;
    if (typeof v['.tag'] === 'string') out.push(v['.tag']);
    for (const [k, child] of Object.entries(v)) if (k !== '.tag') walk(child);
  };
  walk(union);
  return out;
}

/** `correct_offset` anywhere in a union (append's incorrect_offset, finish's lookup_failed/...). */
export function correctOffsetOf(union: unknown): number | undefined {
  if (!isObject(union)) return undefined;
  if (typeof union.correct_offset === 'number') return union.correct_offset;
  for (const [k, child] of Object.entries(union)) {
    if (k === '.tag') continue;
    const found = correctOffsetOf(child);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The access token was refused (expired early, or unknown): a refresh may fix it. */
export function isAccessTokenRejected(e: unknown): boolean {
  if (!isDropboxHttpError(e) || e.status !== 401) return false;
  const tags = unionTags(errorUnion(e));
  return tags.includes('expired_access_token') || tags.includes('invalid_access_token');
}

/**
 * Dropbox's definite no to the login (revoked, or a token it will not refresh): every call fails
 * on it until a person reconnects, so any call that meets it, a background one too, says so at
 * once. Offline, server errors and rate limits say nothing of the login.
 */
export function isLoginRevoked(e: unknown): e is SyncError {
  return e instanceof SyncError && e.code === 'auth-revoked';
}

// How to reconnect, for both front ends: this sentence reaches email and webhooks from a hub
// with no screen, where "reconnect" alone left the operator guessing.
const AUTH_REVOKED =
  'Dropbox access was revoked: reconnect RDL Sync to Dropbox (window: Connect to Dropbox; headless: rdl-sync auth)';

const name = (ctx: ErrorContext): string => (ctx.rel === undefined ? 'the file' : `"${ctx.rel}"`);

/**
 * Uploads read from the transit folder: that is where a refused file is now, and where a rename
 * fixes it (the pass syncs it under its new name and forgets the old one's failures).
 */
const RENAME_IN_TRANSIT = ' in the transit folder; it is then synced under the new name';
/**
 * Names Dropbox never stores because an operating system (or Dropbox itself) makes them for its
 * own use: Windows' desktop.ini and Thumbs.db, macOS' .DS_Store and Icon\r. The watch folder
 * ignores them; one in transit (Windows Explorer browsing the hub's share, a folder copied from a
 * PC) was told "rename the file", which would upload a thumbnail cache among the data.
 */
const SYSTEM_NAMES = new Set(DROPBOX_IGNORED_NAMES);

function isSystemFile(rel: string): boolean {
  return SYSTEM_NAMES.has((rel.split('/').pop() ?? rel).toLowerCase());
}

/**
 * A refused path that is no file's (the fleet heartbeat, the fleet's listing) is built from the
 * settings alone: renaming a file in transit, as a file's refusal says, fixes nothing there.
 */
const SETTINGS_PATH_FIX =
  'check the remote folder, the fleet folder and the site name in the settings';

function retryAfterMs(e: DropboxHttpError, union: unknown): number | undefined {
  const header = e.headers?.get('retry-after');
  if (header != null && /^\s*\d+(\.\d+)?\s*$/.test(header))
    return Math.round(Number(header) * 1000);
  if (isObject(e.error) && typeof e.error.retry_after === 'number')
    return e.error.retry_after * 1000;
  if (isObject(union) && typeof union.retry_after === 'number') return union.retry_after * 1000;
  return undefined;
}

/** Long opaque strings (tokens, session ids) are cut out of any server text we repeat. */
function safeSnippet(text: string): string {
  return text
    .replace(/[A-Za-z0-9._~+/=-]{32,}/g, '…')
    .replace(/\s+/g, ' ')
    .trim()
    .slice(0, 200);
}

/**
 * Classifies a route error union (a 409 body's `error`, or a batch entry's `failure`).
 * `retryAfter` is the server's delay when it sent one.
 */
export function classifyUnion(
  union: unknown,
  ctx: ErrorContext = {},
  retryAfter?: number,
  cause?: unknown,
): SyncError {
  const tags = unionTags(union);
  const has = (...t: string[]): boolean => t.some((x) => tags.includes(x));
  const summary = tags.join('/') || 'unknown';
  if (has('too_many_write_operations')) {
    // Its 409 and per-entry forms carry no Retry-After: then retry.ts backs off with growth.
    return new SyncError({
      kind: 'retry-after',
      code: 'write-contention',
      message: 'Dropbox is busy with other changes in this folder; will retry shortly',
      ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
      cause,
    });
  }
  if (has('too_many_requests')) {
    return new SyncError({
      kind: 'retry-after',
      code: 'rate-limited',
      message: 'Dropbox asked RDL Sync to slow down; will retry shortly',
      retryAfterMs: retryAfter ?? RATE_LIMIT_WAIT_MS,
      cause,
    });
  }
  if (
    has(
      'insufficient_space',
      'team_folder_insufficient_space',
      'member_folder_insufficient_space',
      'insufficient_quota',
    )
  ) {
    return new SyncError({
      kind: 'blocked',
      code: 'quota-full',
      message:
        'Dropbox is full: free up space or upgrade the Dropbox plan; uploads resume by themselves',
      cause,
    });
  }
  if (has('malformed_path')) {
    return new SyncError({
      kind: 'file-failed',
      code: 'malformed-path',
      message:
        ctx.rel === undefined
          ? `Dropbox refused a path (malformed path): ${SETTINGS_PATH_FIX}`
          : `Dropbox refused the path of ${name(ctx)} (malformed path): rename the file or its folder${RENAME_IN_TRANSIT}`,
      cause,
    });
  }
  if (has('disallowed_name')) {
    return new SyncError({
      kind: 'file-failed',
      code: 'disallowed-name',
      message:
        ctx.rel === undefined
          ? `Dropbox does not accept a name in a path: ${SETTINGS_PATH_FIX}`
          : isSystemFile(ctx.rel)
            ? `Dropbox does not accept the name of ${name(ctx)}, a file the operating system makes for its own use (no logger's data), which Dropbox never stores: delete it from the transit folder`
            : `Dropbox does not accept the name of ${name(ctx)}: rename the file${RENAME_IN_TRANSIT}`,
      cause,
    });
  }
  if (has('too_large', 'payload_too_large')) {
    return new SyncError({
      kind: 'file-failed',
      code: 'file-too-large',
      message: `${name(ctx)} is larger than Dropbox accepts for one file`,
      cause,
    });
  }
  if (has('incorrect_offset')) {
    return new SyncError({
      kind: 'retry',
      code: 'offset-mismatch',
      message: `Dropbox has a different amount of ${name(ctx)} than expected; resuming from its position`,
      cause,
    });
  }
  if (has('content_hash_mismatch')) {
    return new SyncError({
      kind: 'retry',
      code: 'network',
      message: `Part of ${name(ctx)} arrived damaged at Dropbox; sending it again`,
      cause,
    });
  }
  if (has('conflict')) {
    return new SyncError({
      kind: 'file-failed',
      code: 'conflict',
      message: `Dropbox already has a different item at the place of ${name(ctx)}`,
      cause,
    });
  }
  // The remote folder's trouble, not the file's: every file below it gets the same answer. As a
  // failure of each file it was "N files keep failing the same way (unknown) … Other files are not
  // affected" while every file failed (found by an operator trial).
  if (has('encryption_not_supported')) {
    return new SyncError({
      kind: 'blocked',
      code: 'remote-encrypted',
      message:
        'Dropbox cannot store files in the remote folder: it is in an end-to-end encrypted folder, which apps cannot write to; choose a remote folder outside it (the remote folder setting)',
      cause,
    });
  }
  if (has('upload_traffic_limit_reached')) {
    return new SyncError({
      kind: 'blocked',
      code: 'quota-full',
      message:
        'The Dropbox team has reached its upload limit: ask its admin; uploads resume by themselves',
      cause,
    });
  }
  if (has('no_write_permission', 'team_folder', 'access_restricted', 'no_permission')) {
    return new SyncError({
      kind: 'file-failed',
      code: 'unknown',
      message: `Dropbox does not allow writing ${name(ctx)} there (${summary}): check the remote folder setting`,
      cause,
    });
  }
  return new SyncError({
    kind: 'file-failed',
    code: 'unknown',
    message: `Dropbox refused ${name(ctx)} (${summary})`,
    cause,
  });
}

/** Dropbox's own sentence for people (`user_message.text`), made safe to repeat. */
function userMessage(e: DropboxHttpError): string | undefined {
  if (!isObject(e.error)) return undefined;
  const m = e.error.user_message;
  if (!isObject(m) || typeof m.text !== 'string') return undefined;
  return m.text.replace(/\s+/g, ' ').trim().slice(0, 400);
}

/**
 * The token endpoint answers {error, error_description} (not a union). Only invalid_grant means
 * the person's permission is gone; the others are the app's setup, one account-wide problem.
 */
function classifyTokenError(e: DropboxHttpError, oauth: string, description: unknown): SyncError {
  if (oauth === 'invalid_grant') {
    return new SyncError({
      kind: 'blocked',
      code: 'auth-revoked',
      message: AUTH_REVOKED,
      cause: e,
    });
  }
  if (oauth === 'invalid_client' || oauth === 'unauthorized_client') {
    return new SyncError({
      kind: 'blocked',
      code: 'auth-missing',
      message: `Dropbox does not accept this app key (${oauth}): check the app key in the settings against the Dropbox App Console, then connect to Dropbox again`,
      cause: e,
    });
  }
  const why = typeof description === 'string' ? safeSnippet(description) : '';
  return new SyncError({
    kind: 'blocked',
    code: 'auth-missing',
    message: `Dropbox refused to sign RDL Sync in (${safeSnippet(oauth)}${why ? `: ${why}` : ''}): connect to Dropbox again; a connection imported from another uploader may lack its app secret`,
    cause: e,
  });
}

function classifyAuthError(e: DropboxHttpError, union: unknown): SyncError {
  const tags = unionTags(union);
  if (tags.includes('missing_scope')) {
    const scope =
      isObject(union) && typeof union.required_scope === 'string'
        ? ` "${safeSnippet(union.required_scope)}"`
        : '';
    return new SyncError({
      kind: 'blocked',
      code: 'auth-missing',
      message: `The Dropbox app lacks the permission${scope}: enable it on the Permissions tab of the app in the Dropbox App Console, then connect to Dropbox again`,
      cause: e,
    });
  }
  if (tags.includes('user_suspended')) {
    return new SyncError({
      kind: 'blocked',
      code: 'auth-revoked',
      message: 'The Dropbox account is suspended: ask its team admin; uploads resume by themselves',
      cause: e,
    });
  }
  return new SyncError({ kind: 'blocked', code: 'auth-revoked', message: AUTH_REVOKED, cause: e });
}

/**
 * The token endpoint's refusal ({error, error_description}), which any call can throw: the SDK
 * refreshes the access token inside the call once it has less than 5 minutes left.
 */
export function isTokenEndpointError(
  e: DropboxHttpError,
): e is DropboxHttpError & { error: { error: string; error_description?: unknown } } {
  return isObject(e.error) && typeof e.error.error === 'string';
}

function classifyHttp(e: DropboxHttpError, ctx: ErrorContext): SyncError {
  const union = errorUnion(e);
  const wait = retryAfterMs(e, union);
  if (isTokenEndpointError(e))
    return classifyTokenError(e, e.error.error, e.error.error_description);
  if (e.status === 401) return classifyAuthError(e, union);
  if (e.status === 403 && unionTags(union).includes('invalid_account_type')) {
    // A Business team over its monthly data-transport limit (or a plan without the feature):
    // nothing can be uploaded until the month turns or the plan changes.
    return new SyncError({
      kind: 'blocked',
      code: 'quota-full',
      message: `Dropbox refuses uploads for this account: ${userMessage(e) ?? 'its plan does not allow this (invalid_account_type)'} Uploads resume by themselves once Dropbox allows them`,
      cause: e,
    });
  }
  if (e.status === 429) {
    const contention = unionTags(union).includes('too_many_write_operations');
    const after = wait ?? (contention ? undefined : 1000);
    return new SyncError({
      kind: 'retry-after',
      code: contention ? 'write-contention' : 'rate-limited',
      message: contention
        ? 'Dropbox is busy with other changes in this folder; will retry shortly'
        : 'Dropbox asked RDL Sync to slow down; will retry shortly',
      ...(after === undefined ? {} : { retryAfterMs: after }),
      cause: e,
    });
  }
  if (e.status >= 500) {
    return new SyncError({
      kind: wait === undefined ? 'retry' : 'retry-after',
      code: 'server-error',
      message: `Dropbox had a server problem (HTTP ${e.status}); will retry`,
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
      cause: e,
    });
  }
  if (e.status === 409 || e.status === 403) return classifyUnion(union, ctx, wait, e);
  if (e.status === 400) {
    const text = typeof e.error === 'string' ? safeSnippet(e.error) : '';
    const aboutPath = /path|name/i.test(text);
    return new SyncError({
      kind: 'file-failed',
      code: aboutPath ? 'malformed-path' : 'unknown',
      message: `Dropbox refused the request for ${name(ctx)}${text ? `: ${text}` : ''}`,
      cause: e,
    });
  }
  return new SyncError({
    kind: 'retry',
    code: 'unknown',
    message: `Dropbox answered HTTP ${e.status} for ${name(ctx)}; will retry`,
    cause: e,
  });
}

const NETWORK_CODES =
  /^(E(CONN\w+|AI_AGAIN|NET\w+|HOST\w+|PIPE|TIMEDOUT|PROTO)|UND_ERR_\w+|ENOTFOUND)$/;
/** Of those, the ones of a connection that was never made: no request reached a server. */
const NOT_CONNECTED_CODES =
  /^(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|ENETDOWN)$/;

const hasCode = (cur: Json, codes: RegExp): boolean =>
  typeof cur.code === 'string' && codes.test(cur.code);

function isNetworkError(e: unknown): boolean {
  return anyCause(
    e,
    (cur) =>
      hasCode(cur, NETWORK_CODES) ||
      (cur instanceof TypeError &&
        /fetch failed|terminated|other side closed/i.test(String(cur.message))) ||
      (cur instanceof Error && (cur.name === 'TimeoutError' || cur.name === 'AbortError')) ||
      (cur instanceof Error && /socket hang up|other side closed|terminated/i.test(cur.message)),
  );
}

/**
 * The request never reached a server (refused, no route, no name): a WiFi outage, not a front end
 * resetting a connection over a header it would not take.
 */
export function neverConnected(e: unknown): boolean {
  // A proxy that failed or refused to open the way: no request reached a Dropbox server either.
  // Nor did one whose connection ended before TLS was set up (a proxy dropping the tunnel it had
  // opened, a filter cutting the handshake): the header goes only once TLS is.
  return (
    anyCause(
      e,
      (cur) =>
        hasCode(cur, NOT_CONNECTED_CODES) ||
        /before secure TLS connection was established/.test(String(cur.message)),
    ) || proxyErrorIn(e) !== null
  );
}

/**
 * Dropbox's certificate could not be checked: the same for every request until a person acts, so
 * the upload leg waits (the archive copy goes on) instead of each file failing on its own as an
 * "unexpected problem", the cause said nowhere. Dropbox's certificates are valid, so dates that
 * fail point to this machine's clock first.
 */
function certificateProblem(cert: UntrustedCertificate, nowMs: number, cause: unknown): SyncError {
  const clock = formatUtcMinute(nowMs);
  if (cert.dates && nowMs < CLOCK_SET_AFTER_MS) {
    return new SyncError({
      kind: 'blocked',
      code: 'clock-not-set',
      message: `Dropbox's certificate cannot be checked (${cert.code}): the clock reads ${clock}, so it has not been set yet (no network time since start-up); uploads wait until the clock is set (check the network and \`timedatectl\`); files wait safely in transit`,
      cause,
    });
  }
  const what = cert.dates
    ? `Dropbox's certificate reads as ${cert.code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not yet valid'} (${cert.code}) by this machine's clock, which reads ${clock}: if that time is wrong, set the clock (\`timedatectl\`); if it is right, something on the network answers in Dropbox's place, and`
    : `The connection to Dropbox is not trusted (${cert.code}): something on the network answers in Dropbox's place with a certificate this machine does not trust;`;
  return new SyncError({
    kind: 'blocked',
    code: 'connection-untrusted',
    message: `${what} ${trustFix()}. Nothing is sent until then; files wait safely in transit`,
    cause,
  });
}

/**
 * Classifies anything a Dropbox SDK call can throw. A SyncError passes through unchanged, so
 * calling this twice never re-wraps. Callers check their own AbortSignal before calling: an
 * abort that reaches here is a request timeout, which is a network problem.
 */
export function classifyDropboxError(e: unknown, ctx: ErrorContext = {}): SyncError {
  if (e instanceof SyncError) return e;
  if (isDropboxHttpError(e)) return classifyHttp(e, ctx);
  const proxy = proxyErrorIn(e);
  if (proxy !== null) {
    // Through the proxy the environment names: its failure is a network one (try again), its
    // refusal a person's to mend, and neither is Dropbox's; the words name the proxy either way.
    return proxy.trouble === 'unreachable'
      ? new SyncError({
          kind: 'retry',
          code: 'network',
          message: `Could not reach Dropbox: ${proxy.message}; will retry`,
          cause: e,
        })
      : new SyncError({
          kind: 'blocked',
          code: 'proxy-refused',
          message: `Uploads cannot reach Dropbox: ${proxy.message}; files wait safely in transit`,
          cause: e,
        });
  }
  const certificate = untrustedCertificate(e);
  if (certificate !== null) return certificateProblem(certificate, Date.now(), e);
  if (isNetworkError(e)) {
    return new SyncError({
      kind: 'retry',
      code: 'network',
      message: 'Could not reach Dropbox (network error); will retry',
      cause: e,
    });
  }
  return new SyncError({
    kind: 'retry',
    code: 'unknown',
    message: `Unexpected problem while sending ${name(ctx)} to Dropbox; will retry`,
    cause: e,
  });
}

/** Local read failures: the file alone fails, the batch goes on. */
export function classifyLocalFileError(e: unknown, ctx: ErrorContext): SyncError {
  // Already said: the upload's stop (a read listens to it, and rejects with its reason: offline,
  // rate-limited, stopping) or a failure classified where it happened. Taken for a read failure,
  // a network outage blamed the disk and counted the file as failing on its own.
  if (e instanceof SyncError) return e;
  const code = isObject(e) && typeof e.code === 'string' ? e.code : '';
  if (code === 'ENOENT') {
    return new SyncError({
      kind: 'file-failed',
      code: 'file-vanished',
      message: `${name(ctx)} disappeared from the transit folder before it was uploaded`,
      cause: e,
    });
  }
  // Rewritten shorter in transit while it was sent (chunk-reader.ts): nothing wrong with the disk
  // or the permissions, where "could not be read (ESHORT)" sent the person. The next pass sees
  // the new version and sends it (file-version.ts).
  if (code === 'ESHORT') {
    return new SyncError({
      kind: 'file-failed',
      code: 'file-unreadable',
      message: `${name(ctx)} became shorter while it was being sent (something rewrote it in the transit folder): it is sent again as it is now, once it stops changing`,
      cause: e,
    });
  }
  return new SyncError({
    kind: 'file-failed',
    code: 'file-unreadable',
    message: `${name(ctx)} could not be read${code ? ` (${code})` : ''}: check its permissions and the disk`,
    cause: e,
  });
}

/**
 * What is known of why Dropbox cannot be reached, as a person can check it: the failure named
 * (a refusal, no route, a name not found, silence) with its errno, and where to look. Null when
 * nothing more is known than "a network error". Only the address and host name Node reports are
 * named, never a request's URL (a token refresh carries the refresh token in its query).
 */
export function networkDetail(e: unknown): string | null {
  const proxy = proxyErrorIn(e);
  if (proxy !== null) return proxy.message;
  const idleMs = idleTimeoutMsOf(e);
  if (idleMs !== null)
    return `it stopped answering (nothing moved on the connection for ${formatDuration(idleMs)}, ETIMEDOUT); check the hub's network connection, and if that works, status.dropbox.com`;
  const failure = findInCauses(e, (cur) => (hasCode(cur, NETWORK_CODES) ? cur : null));
  if (failure === null) return null;
  const code = String(failure.code);
  const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
  const port = typeof failure.port === 'number' ? `:${failure.port}` : '';
  const address = str(failure.address);
  const where = address === null ? 'Dropbox' : `${address}${port}`;
  if (code === 'ECONNREFUSED')
    return `the connection to ${where} was refused (${code}); check the hub's firewall, and the Dropbox endpoint if one is set`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return `the name ${str(failure.hostname) ?? "of Dropbox's server"} could not be looked up (${code}); check the hub's network connection and its DNS server`;
  if (/^E(HOST|NET)(UNREACH|DOWN)$/.test(code))
    return `there is no route to ${where} (${code}); check the hub's network connection (cable, Wi-Fi, router)`;
  if (code === 'ETIMEDOUT')
    return `the connection to ${where} timed out (${code}); check the hub's network connection`;
  if (code === 'ECONNRESET' || code === 'EPIPE')
    return `the connection to Dropbox was cut (${code}); check the hub's network connection`;
  return `a network error (${code}); check the hub's network connection`;
}

/**
 * When Dropbox went direct only because of how the proxy variables are written (http_proxy set
 * but not https_proxy, a no_proxy entry covering Dropbox), that is said beside "check the
 * network": on a network that needs the proxy it is the cause.
 */
function proxySkipped(): string {
  const rules = proxyRulesFromEnv();
  if (rules.https === undefined && rules.unread)
    return ` (${rules.unread} is set, but it is the proxy for plain http; Dropbox's needs https_proxy)`;
  const why = rules.https ? rules.directBecause('content.dropboxapi.com', 443) : null;
  return why && why !== 'this machine' ? ` (${why} sends Dropbox past the proxy)` : '';
}

/** What a retry loop turns its last transient error into when it gives up. */
/** "1 attempt", "6 attempts" (a policy of one try said "after 1 attempts"). */
function tries(attempts: number): string {
  return attempts === 1 ? '1 attempt' : `${attempts} attempts`;
}

export function exhausted(last: SyncError, attempts: number): SyncError {
  const proxy = proxyErrorIn(last);
  if (last.code === 'network' && proxy !== null) {
    return new SyncError({
      kind: 'blocked',
      code: 'offline',
      message: `Dropbox could not be reached after ${tries(attempts)}: ${proxy.message}; uploads resume by themselves once it can be reached`,
      cause: last,
    });
  }
  if (last.code === 'network') {
    // Which failure (no name, refused, no route), with where to look: `once` printed "check the
    // network connection" for a DNS failure the status named as one.
    const why = networkDetail(last) ?? 'check the network connection';
    return new SyncError({
      kind: 'blocked',
      code: 'offline',
      message: `Dropbox could not be reached after ${tries(attempts)}: ${why}${proxySkipped()}; uploads resume by themselves`,
      cause: last,
    });
  }
  return last;
}
