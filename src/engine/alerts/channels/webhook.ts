// Alerts as a JSON POST: a generic payload for the site's own tools, Slack's incoming-webhook
// shape ({text}), or ntfy's JSON publish ({topic, title, message, priority, tags}, posted to the
// server's root with the topic taken from the URL). Retried with back-off on network errors,
// 429 and 5xx; a 4xx other than 429 is a mistake in the URL or format and is not retried.
// Sent with the engine's own fetch (net/http-fetch.ts), so a webhook goes through the proxy the
// environment names, as the uploads do.
import { nodeHttpFetch } from '../../net/http-fetch.js';
import { ProxyError } from '../../net/proxy-tunnel.js';
import { trustFix, untrustedCertificate } from '../../net/tls-trust.js';
import { checkWebhookUrl } from '../secrets.js';
import { alertJson, alertText } from '../render.js';
import { alertTitle, type Alert, type AlertOrigin } from '../types.js';
import type { AlertChannel } from './types.js';
import { shownWebhookHost } from './webhook-host.js';

export type WebhookFormat = 'generic' | 'slack' | 'ntfy';

export interface WebhookRetry {
  attempts: number;
  /** First delay; doubled each time. */
  baseMs: number;
  /** One request's deadline. */
  timeoutMs: number;
}

/** 4 tries over about 15 s: a relay restarting is waited out, a dead one does not hold the others. */
export const WEBHOOK_RETRY: WebhookRetry = { attempts: 4, baseMs: 2_000, timeoutMs: 15_000 };

export class WebhookChannel implements AlertChannel {
  readonly id = 'webhook' as const;
  readonly label: string;
  private readonly url: URL;

  constructor(
    url: string,
    private readonly format: WebhookFormat,
    private readonly retry: WebhookRetry = WEBHOOK_RETRY,
  ) {
    this.url = new URL(url);
    // The host only: the path and query carry the token (and a host that is one is cut).
    this.label = `webhook (${format}) to ${shownWebhookHost(this.url)}`;
  }

  async send(alert: Alert, origin: AlertOrigin, signal?: AbortSignal): Promise<void> {
    const { target, body } = this.request(alert, origin);
    let lastReason = '';
    for (let attempt = 1; attempt <= this.retry.attempts; attempt++) {
      if (attempt > 1) await sleep(this.retry.baseMs * 2 ** (attempt - 2), signal);
      const outcome = await this.post(target, body, signal);
      if (outcome === 'ok') return;
      lastReason = outcome.reason;
      if (!outcome.retry) break;
    }
    throw new Error(`webhook to ${shownWebhookHost(this.url)} failed: ${lastReason}`);
  }

  private request(alert: Alert, origin: AlertOrigin): { target: URL; body: unknown } {
    if (this.format === 'slack') {
      return {
        target: this.url,
        body: { text: `*${alertTitle(alert, origin)}*\n${alertText(alert, origin)}` },
      };
    }
    if (this.format === 'ntfy') {
      const topic = this.url.pathname.replace(/^\/+|\/+$/g, '');
      const root = new URL('/', this.url);
      const urgent = alert.severity === 'error' && alert.kind !== 'cleared';
      return {
        target: root,
        body: {
          topic,
          title: alertTitle(alert, origin),
          message: alertText(alert, origin),
          priority: alert.kind === 'cleared' ? 2 : urgent ? 5 : 4,
          tags: [
            alert.kind === 'cleared' ? 'white_check_mark' : urgent ? 'rotating_light' : 'warning',
          ],
        },
      };
    }
    return { target: this.url, body: alertJson(alert, origin) };
  }

  private async post(
    target: URL,
    body: unknown,
    signal?: AbortSignal,
  ): Promise<'ok' | { retry: boolean; reason: string }> {
    const timeout = AbortSignal.timeout(this.retry.timeoutMs);
    try {
      let at = target;
      for (let hops = 0; ; hops++) {
        const res = await nodeHttpFetch(at, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(body),
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return 'ok';
        // A relay moved for good or for now, the POST kept (307, 308), is followed as fetch()
        // followed it, a few times at most, and only where the token may go (https, or http to
        // this machine). Another move would turn the POST into a GET: said, with the new host.
        const moved = MOVED.has(res.status) ? movedTo(res.headers.get('location'), at) : null;
        if (moved && KEEPS_POST.has(res.status) && hops < MAX_REDIRECTS) {
          at = moved;
          continue;
        }
        return {
          retry: res.status === 429 || res.status >= 500,
          reason: `HTTP ${res.status}${
            res.status === 404
              ? ' (is the webhook URL right?)'
              : moved
                ? ` (the webhook moved to ${moved.host}: set its new URL with rdl-sync alert secret webhook-url)`
                : ''
          }`,
        };
      }
    } catch (e) {
      if (signal?.aborted) return { retry: false, reason: 'stopped' };
      if (timeout.aborted)
        return { retry: true, reason: `no answer in ${Math.round(this.retry.timeoutMs / 1000)} s` };
      // The proxy's refusal is a person's to mend, as a 4xx is: not retried.
      if (e instanceof ProxyError) return { retry: e.trouble === 'unreachable', reason: e.message };
      const cert = untrustedCertificate(e);
      if (cert !== null)
        return {
          retry: false,
          reason: cert.dates
            ? `its certificate reads as ${cert.code === 'CERT_HAS_EXPIRED' ? 'expired' : 'not yet valid'} (${cert.code}) by this machine's clock: if the clock is wrong, set it (timedatectl); else ${trustFix()}`
            : `its certificate is not trusted here (${cert.code}): ${trustFix()}`,
        };
      return { retry: true, reason: connectFailure(errorCode(e)) };
    }
  }
}

const MOVED = new Set([301, 302, 303, 307, 308]);
const KEEPS_POST = new Set([307, 308]);
const MAX_REDIRECTS = 3;

/** Where a move points, when the token may go there (https, or http to this machine). */
function movedTo(location: string | null, from: URL): URL | null {
  if (!location) return null;
  try {
    return checkWebhookUrl(new URL(location, from).href);
  } catch {
    return null;
  }
}

/**
 * The error's code. A TLS handshake node:https could not make is EPROTO, its OpenSSL reason only in
 * the message: named by that reason, as OpenSSL names it (ERR_SSL_WRONG_VERSION_NUMBER).
 */
function errorCode(e: unknown): string | undefined {
  const code = (e as { code?: unknown } | null)?.code;
  const reason = /SSL routines:[^:]*:([a-z ]+):/.exec(String((e as Error | null)?.message));
  if (code === 'EPROTO' && reason) return `ERR_SSL_${reason[1]!.toUpperCase().replace(/ /g, '_')}`;
  return typeof code === 'string' ? code : undefined;
}

/** Why the webhook could not be reached, with the part of the URL to check where it tells. */
function connectFailure(code: string | undefined): string {
  const hint =
    code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG'
      ? ': the server speaks plain HTTP there, so the URL must begin with http://, not https://'
      : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
        ? ": the URL's host name is not found (check it, and the hub's DNS)"
        : code === 'ECONNREFUSED'
          ? ": nothing takes connections at the URL's host and port (check them)"
          : '';
  return `cannot connect (${code ?? 'network error'})${hint}`;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}
