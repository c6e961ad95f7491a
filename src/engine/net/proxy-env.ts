// Which HTTP proxy a request goes through, from the environment as curl reads it. The old syncer
// uploaded with Dropbox-Uploader, a curl script, so a hub or lab desktop that may reach the
// internet only through a proxy had it working with `https_proxy=…` in its environment (or its
// systemd unit); RDL Sync, replacing it, must go on working with that same setting.
//   https_proxy, HTTPS_PROXY, else all_proxy, ALL_PROXY: the proxy for https:// requests
//   no_proxy / NO_PROXY: hosts that go direct (`*`, names matching themselves and every name
//   below them, with or without a leading dot, IP addresses, IPv4 or IPv6 ranges as a/len, any
//   of them with :port)
// A proxy value is http://[user:password@]host[:port]; without a scheme it is taken as http://,
// and without a port as 1080, as curl does. Loopback (localhost, 127.0.0.0/8, ::1) always goes
// direct: a proxy cannot reach this machine's own loopback (the emulator, the demo, a webhook
// relay on the hub), and a shell's https_proxy must not break the demo. Plain http:// requests
// always go direct, so http_proxy is not read: the settings allow http only to this machine (a
// Dropbox endpoint or a webhook URL carries credentials).
// Not `import … from 'node:net'`: see http-fetch.ts on ES imports of built-ins at start-up.
const { BlockList, isIP } = process.getBuiltinModule('node:net');

export interface HttpProxy {
  host: string;
  port: number;
  /** The Proxy-Authorization header's value, when the URL held a user name. */
  authorization?: string;
  /** The proxy's URL with its password hidden: for messages and logs. */
  shown: string;
  /** The variable it was read from, to name in messages. */
  variable: string;
  /** The password, decoded: registered with the log's redaction, never shown. */
  password?: string;
}

/** A proxy variable that cannot be used: every request it would carry fails with `message`. */
export interface ProxyMistake {
  mistake: string;
  variable: string;
}

export type ProxyChoice = HttpProxy | ProxyMistake;

export interface ProxyRules {
  https?: ProxyChoice;
  /** Whether a host (lower case, no brackets) and port go direct. */
  direct(host: string, port: number): boolean;
  /** Why they go direct, in words ("this machine", no_proxy's entry), or null when they do not. */
  directBecause(host: string, port: number): string | null;
  /** The no_proxy list as given, for messages ('' when none). */
  noProxy: string;
  /** A proxy variable that is set but not read (http_proxy: for plain http), to name. */
  unread?: string;
}

type Env = Readonly<Record<string, string | undefined>>;

/** curl's default port for a proxy named without one. */
const CURL_DEFAULT_PROXY_PORT = 1080;

function firstSet(env: Env, names: readonly string[]): { name: string; value: string } | null {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return null;
}

export function isProxyMistake(p: ProxyChoice): p is ProxyMistake {
  return 'mistake' in p;
}

/** %-decoded as curl does it, and as curl keeps a stray % (a password like 50%off) as it is. */
function decoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** Reads one proxy variable's value. */
export function parseProxy(variable: string, value: string): ProxyChoice {
  // Quotes kept by whatever set the variable (an env file written as a shell line) are no part
  // of an address: said, not guessed at.
  if (/^["'].*["']$/s.test(value))
    return {
      variable,
      mistake: `${variable} is in quotes (${value[0]}…${value[0]}): write it without them, as http://host:port`,
    };
  const schemed = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/is.exec(value);
  const scheme = (schemed?.[1] ?? 'http').toLowerCase();
  const rest = schemed?.[2] ?? value;
  // The login ends at the last @: a password may hold / or @ that the URL parser would take for
  // the path or the host (and a value that failed to parse was then printed, password and all).
  const at = rest.lastIndexOf('@');
  const login = at >= 0 ? rest.slice(0, at) : null;
  const hostPart = at >= 0 ? rest.slice(at + 1) : rest;
  const colon = login?.indexOf(':') ?? -1;
  const user = login === null ? '' : colon >= 0 ? login.slice(0, colon) : login;
  const hasPassword = colon >= 0;
  // A user name with an encoded colon (lab%3Asecret) holds the password too: only its part
  // before that colon is shown.
  const userShown = decoded(user).includes(':') ? decoded(user).split(':')[0]! : user;
  const loginShown =
    login === null ? '' : `${userShown}${hasPassword || userShown !== user ? ':***' : ''}@`;
  const shownAsGiven = `${scheme}://${loginShown}${hostPart}`;
  const notAddress = (why: string): ProxyMistake => ({
    variable,
    mistake: `${variable} is not a proxy address (got "${shownAsGiven}"): ${why}`,
  });

  if (scheme !== 'http') {
    const why = scheme.startsWith('socks')
      ? 'SOCKS proxies are not supported: use the HTTP proxy of the network (its http:// address)'
      : scheme === 'https'
        ? "a proxy reached over TLS (https://) is not supported: use the proxy's http:// address (the connection to Dropbox through it is still encrypted end to end)"
        : `"${scheme}://" is not a proxy scheme: set it as http://host:port`;
    return { variable, mistake: `${variable} names ${shownAsGiven}, but ${why}` };
  }
  let url: URL;
  try {
    url = new URL(`http://${hostPart}`);
  } catch {
    return notAddress(
      'set it as http://host:port, or http://user:password@host:port when the proxy asks for a login',
    );
  }
  if (url.hostname === '' || (url.pathname !== '/' && url.pathname !== '') || url.search)
    return notAddress('set it as http://host:port, with nothing after the port');
  // The URL parser drops a port that is http's default: an explicit :80 is read from the text.
  const givenPort = /^(?:\[[^\]]*\]|[^:/?#]*):(\d+)/.exec(hostPart)?.[1];
  const port = givenPort !== undefined ? Number(givenPort) : CURL_DEFAULT_PROXY_PORT;
  const password = hasPassword ? decoded(login!.slice(colon + 1)) : '';
  // What the log must never show: the password, or what an encoded colon put in the user name.
  const secret = hasPassword ? password : decoded(user).split(':').slice(1).join(':');
  return {
    host: bare(url.hostname),
    port,
    ...(login !== null
      ? { authorization: `Basic ${Buffer.from(`${decoded(user)}:${password}`).toString('base64')}` }
      : {}),
    // The port dialled, always: one assumed (curl's 1080) is as plain as one given.
    shown: `http://${loginShown}${url.hostname}:${port}`,
    variable,
    ...(secret !== '' ? { password: secret } : {}),
  };
}

/** A host name as compared: lower case, no IPv6 brackets, no trailing dot. */
function bare(host: string): string {
  return host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

function isLoopback(host: string): boolean {
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  const family = isIP(host);
  return family !== 0 && LOOPBACK.check(host, family === 4 ? 'ipv4' : 'ipv6');
}

interface NoProxyEntry {
  matches(host: string): boolean;
  port?: number;
  /** As written, to name it. */
  raw: string;
}

/** One no_proxy entry: a name (and the names below it), an address or a range, maybe a port. */
function noProxyEntry(raw: string): NoProxyEntry | null {
  let text = raw.trim();
  if (text === '') return null;
  if (text === '*') return { matches: () => true, raw };
  let port: number | undefined;
  const hostPort = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(text);
  if (hostPort) {
    text = hostPort[1]!;
    port = Number(hostPort[2]);
  }
  const withPort = (e: { matches(host: string): boolean }): NoProxyEntry =>
    port === undefined ? { ...e, raw } : { ...e, port, raw };
  const range = /^(.+)\/(\d{1,3})$/.exec(text);
  if (range) {
    const family = isIP(bare(range[1]!));
    if (family === 0) return null;
    const list = new BlockList();
    const type = family === 4 ? 'ipv4' : 'ipv6';
    try {
      list.addSubnet(bare(range[1]!), Number(range[2]), type);
    } catch {
      return null;
    }
    return withPort({ matches: (h) => isIP(h) === family && list.check(h, type) });
  }
  const name = bare(text).replace(/^\*?\./, '');
  if (isIP(name) !== 0) return withPort({ matches: (h) => h === name });
  return withPort({ matches: (h) => h === name || h.endsWith(`.${name}`) });
}

export function proxyRulesFromEnv(env: Env = process.env): ProxyRules {
  const https = firstSet(env, ['https_proxy', 'HTTPS_PROXY', 'all_proxy', 'ALL_PROXY']);
  const noProxySet = firstSet(env, ['no_proxy', 'NO_PROXY']);
  const noProxy = noProxySet?.value ?? '';
  const entries = noProxy
    .split(/[\s,]+/)
    .map(noProxyEntry)
    .filter((e): e is NoProxyEntry => e !== null);
  const unread = https ? null : firstSet(env, ['http_proxy', 'HTTP_PROXY']);
  const directBecause = (host: string, port: number): string | null => {
    const h = bare(host);
    if (isLoopback(h)) return 'this machine';
    const entry = entries.find((e) => (e.port === undefined || e.port === port) && e.matches(h));
    return entry ? `${noProxySet!.name}'s entry "${entry.raw}"` : null;
  };
  return {
    ...(https ? { https: parseProxy(https.name, https.value) } : {}),
    noProxy,
    ...(unread ? { unread: unread.name } : {}),
    direct: (host, port) => directBecause(host, port) !== null,
    directBecause,
  };
}

/** The proxy a request to `url` goes through, or undefined when it goes direct. */
export function proxyFor(rules: ProxyRules, url: URL): ProxyChoice | undefined {
  if (url.protocol !== 'https:' || rules.https === undefined) return undefined;
  return rules.direct(url.hostname, url.port !== '' ? Number(url.port) : 443)
    ? undefined
    : rules.https;
}

/** One line saying how requests to `url` go, for doctor and the log. */
export function describeRoute(rules: ProxyRules, url: URL): string {
  const choice = proxyFor(rules, url);
  if (choice === undefined) {
    if (url.protocol !== 'https:') return 'direct (plain http goes only to this machine)';
    if (rules.https === undefined)
      return rules.unread
        ? `direct: ${rules.unread} is set, but it is the proxy for plain http; the proxy for https (Dropbox's) is https_proxy`
        : 'direct (no proxy is set)';
    const port = url.port !== '' ? Number(url.port) : 443;
    const why = rules.directBecause(url.hostname, port);
    return why === 'this machine'
      ? 'direct (on this machine)'
      : `direct: ${why} sends ${url.hostname} past the proxy`;
  }
  if (isProxyMistake(choice)) return `not possible: ${choice.mistake}`;
  return `through the proxy ${choice.shown} (from ${choice.variable})`;
}
