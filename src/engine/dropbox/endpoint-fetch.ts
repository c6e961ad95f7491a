// The product's configurable Dropbox endpoint. The SDK always builds https://<host>/... URLs;
// with an endpoint set (the local emulator, a proxy), every request goes to <endpoint>/<path>
// instead and carries the host it was meant for, so the server can still tell the API host
// from the content host.
import { describeRoute, proxyFor, proxyRulesFromEnv, type ProxyRules } from '../net/proxy-env.js';

export const ORIGINAL_HOST_HEADER = 'X-Dropbox-Host';

/** '' or undefined means real Dropbox. Otherwise a base URL such as http://127.0.0.1:8080. */
export function normaliseEndpoint(endpoint: string | undefined): string {
  const e = (endpoint ?? '').trim().replace(/\/+$/, '');
  if (e !== '' && !/^https?:\/\/[^/]+$/.test(e)) {
    throw new Error(
      `Dropbox endpoint "${e}" is not a base URL: use empty for Dropbox, or one like http://127.0.0.1:8080`,
    );
  }
  return e;
}

/** Where a Dropbox URL goes when an endpoint is set; unchanged without one. */
export function rewriteUrl(url: string, endpoint: string): { url: string; host?: string } {
  if (endpoint === '') return { url };
  const u = new URL(url);
  return { url: `${endpoint}${u.pathname}${u.search}`, host: u.host };
}

export function endpointFetch(
  endpoint: string,
  base: typeof fetch = globalThis.fetch,
): typeof fetch {
  if (endpoint === '') return base;
  return (input, init) => {
    // Checked without touching the Request global: in Node 20 its first use loads undici, tens of
    // ms before the first request (see net/http-fetch.ts). The SDK only ever passes URL strings.
    if (typeof input !== 'string' && !(input instanceof URL)) {
      const { url, host } = rewriteUrl(input.url, endpoint);
      const request = new Request(url, input);
      if (host !== undefined) request.headers.set(ORIGINAL_HOST_HEADER, host);
      return base(request, init);
    }
    const { url, host } = rewriteUrl(input instanceof URL ? input.href : input, endpoint);
    const headers = plainHeaders(init?.headers);
    if (host !== undefined) headers[ORIGINAL_HOST_HEADER] = host;
    return base(url, { ...init, headers });
  };
}

/** Request headers as a plain object (the SDK gives one; a Headers or pairs are copied). */
function plainHeaders(h: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (h === undefined) return out;
  if (Array.isArray(h)) {
    for (const [name, value] of h) if (name !== undefined) out[name] = String(value);
  } else if (typeof (h as Headers).forEach === 'function') {
    (h as Headers).forEach((value, name) => (out[name] = value));
  } else {
    for (const [name, value] of Object.entries(h)) out[name] = String(value);
  }
  return out;
}

/** How requests to Dropbox (or the endpoint set) go from here: direct, or through which proxy. */
export function dropboxRoute(
  endpoint: string | undefined,
  rules: ProxyRules = proxyRulesFromEnv(),
): { words: string; proxied: boolean } {
  const set = normaliseEndpoint(endpoint);
  const urls = set
    ? [new URL(set)]
    : [new URL('https://api.dropboxapi.com'), new URL('https://content.dropboxapi.com')];
  const words = urls.map((u) => describeRoute(rules, u));
  const proxied = urls.some((u) => proxyFor(rules, u) !== undefined);
  // Both of Dropbox's hosts, named each when no_proxy sends one another way than the other.
  return {
    words: words.every((w) => w === words[0])
      ? words[0]!
      : urls.map((u, i) => `${u.hostname} ${words[i]!}`).join('; '),
    proxied,
  };
}
