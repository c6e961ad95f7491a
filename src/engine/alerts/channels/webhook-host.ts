// A webhook's host as people are shown it. Most services keep the token in the URL's path
// (hooks.slack.com/services/T…/B…/x…), but some make it the host itself
// (<token>.m.pipedream.net), which the label "webhook (generic) to <host>" then showed in
// `alert test`, the log, the status and the alerts of the other channels (security review).

/** A first label this long and holding digits is taken for a token, not a name. */
const TOKEN_LABEL = /^(?=.*\d)[a-z0-9-]{16,}$/i;

/** The host's token-like first label, to be redacted wherever it appears; null when none. */
export function webhookHostToken(url: URL): string | null {
  const [first, ...rest] = url.hostname.split('.');
  return rest.length >= 2 && first !== undefined && TOKEN_LABEL.test(first) ? first : null;
}

/** The host as shown: its token-like first label, if any, replaced by "…". */
export function shownWebhookHost(url: URL): string {
  const token = webhookHostToken(url);
  return token === null ? url.host : `…${url.host.slice(token.length)}`;
}
