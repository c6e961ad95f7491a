// One quick question to Dropbox with a login just imported from the old uploader's file. The old
// script may have been failing on it for weeks (a revoked token, an app secret it never had);
// told at the import, the person fixes it there and then (`rdl-sync auth`), instead of meeting it
// at the first sync. Offline, the import says so and goes on: the first pass checks again.
import type { DropboxCredentials } from '../credentials/index.js';
import { DropboxCalls } from '../dropbox/calls.js';
import { connectSavedDropbox } from '../dropbox/saved-connection.js';
import { isSyncError } from '../errors.js';
import { CALL_RETRY, type RetryPolicy } from '../retry-policy.js';
import type { Clock, Logger } from '../ports.js';
import type { Settings } from '../settings/schema.js';

/** Long enough for a slow hub's first TLS handshake; short enough that an offline import ends. */
export const LOGIN_CHECK_MS = 15_000;

export type LoginCheck =
  | { outcome: 'accepted'; who: string }
  /** Dropbox answered and refused the login: it will not work until it is connected again. */
  | { outcome: 'refused'; message: string }
  /** No answer on the login (offline, a server error): nothing is known about it. */
  | { outcome: 'unknown'; message: string };

export async function checkLogin(
  settings: Settings,
  creds: DropboxCredentials,
  ctx: { clock: Clock; logger: Logger; retry?: Partial<RetryPolicy>; timeoutMs?: number },
): Promise<LoginCheck> {
  // Two tries: a dropped connection is retried once; an import does not wait out a long outage.
  const policy = { ...CALL_RETRY, ...ctx.retry, maxAttempts: 2 };
  try {
    const calls = new DropboxCalls(connectSavedDropbox(settings, creds), {
      policy,
      clock: ctx.clock,
      logger: ctx.logger,
    });
    const { account } = await calls.account(AbortSignal.timeout(ctx.timeoutMs ?? LOGIN_CHECK_MS));
    const email = account.email ? ` <${account.email}>` : '';
    return { outcome: 'accepted', who: `${account.name.display_name}${email}` };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // Dropbox's own no (revoked, a secret missing or wrong): trying again will not help. Offline
    // is "blocked" too, but says nothing about the login.
    if (isSyncError(e) && (e.code === 'auth-revoked' || e.code === 'auth-missing'))
      return { outcome: 'refused', message };
    return { outcome: 'unknown', message };
  }
}
