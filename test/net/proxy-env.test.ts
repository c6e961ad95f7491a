// Which proxy a request takes, read from the environment as curl reads it (the old syncer's
// uploader was curl): the variables' order, no_proxy's forms, loopback always direct, and the
// words for a value that cannot be used, its password never shown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  describeRoute,
  isProxyMistake,
  parseProxy,
  proxyFor,
  proxyRulesFromEnv,
  type HttpProxy,
  type ProxyChoice,
} from '../../src/engine/net/proxy-env.js';
import { proxyAnswer } from '../../src/engine/net/proxy-tunnel.js';
import { trustFix } from '../../src/engine/net/tls-trust.js';
import { dropboxRoute } from '../../src/engine/dropbox/endpoint-fetch.js';
import { classifyDropboxError, exhausted } from '../../src/engine/dropbox/classify.js';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const API = new URL('https://api.dropboxapi.com/2/files/list_folder');

function proxyOf(choice: ProxyChoice | undefined): HttpProxy {
  assert.ok(choice !== undefined && !isProxyMistake(choice), JSON.stringify(choice));
  return choice;
}

test('https_proxy first, then HTTPS_PROXY, then all_proxy; empty values count as unset', () => {
  const p = proxyOf(
    proxyFor(
      proxyRulesFromEnv({
        https_proxy: '',
        HTTPS_PROXY: 'http://proxy.lab.example:3128',
        all_proxy: 'http://other:1',
      }),
      API,
    ),
  );
  assert.deepEqual([p.host, p.port, p.variable], ['proxy.lab.example', 3128, 'HTTPS_PROXY']);
  assert.equal(
    proxyOf(proxyFor(proxyRulesFromEnv({ ALL_PROXY: 'other:8080' }), API)).variable,
    'ALL_PROXY',
  );
  assert.equal(proxyFor(proxyRulesFromEnv({}), API), undefined);
  // http_proxy is for plain http, which goes only to this machine: never read.
  assert.equal(proxyFor(proxyRulesFromEnv({ http_proxy: 'http://p:3128' }), API), undefined);
});

test('a value without scheme or port is read as curl reads it; a login becomes Basic', () => {
  const p = proxyOf(parseProxy('https_proxy', 'proxy.lab.example'));
  assert.deepEqual([p.host, p.port, p.authorization], ['proxy.lab.example', 1080, undefined]);
  const l = proxyOf(parseProxy('https_proxy', 'http://lab%40uni:p%3Ass@10.0.0.1:8080/'));
  assert.equal(l.authorization, `Basic ${Buffer.from('lab@uni:p:ss').toString('base64')}`);
  assert.equal(l.shown, 'http://lab%40uni:***@10.0.0.1:8080');
  assert.equal(proxyOf(parseProxy('https_proxy', 'http://[::1]:3128')).host, '::1');
  // The URL parser drops http's own port: an explicit :80 is still 80, not curl's 1080.
  const p80 = proxyOf(parseProxy('https_proxy', 'http://proxy.corp.example:80'));
  assert.deepEqual([p80.port, p80.shown], [80, 'http://proxy.corp.example:80']);
  assert.equal(proxyOf(parseProxy('https_proxy', 'proxy.lab')).shown, 'http://proxy.lab:1080');
});

test('a password with a stray %, a / or an @ is taken as curl takes it, and never shown', () => {
  const pct = proxyOf(parseProxy('https_proxy', 'http://lab:50%off@proxy.lab:3128'));
  assert.equal(pct.authorization, `Basic ${Buffer.from('lab:50%off').toString('base64')}`);
  assert.equal(pct.password, '50%off');
  const slash = proxyOf(parseProxy('HTTPS_PROXY', 'http://lab:Sl/ash@PW9@proxy.lab:3128'));
  assert.equal(slash.authorization, `Basic ${Buffer.from('lab:Sl/ash@PW9').toString('base64')}`);
  assert.equal(slash.shown, 'http://lab:***@proxy.lab:3128');
  const bad = parseProxy('HTTPS_PROXY', 'http://lab:Sl/ashPW9@bad host:3128');
  assert.ok(isProxyMistake(bad));
  assert.ok(!bad.mistake.includes('ashPW9'), bad.mistake);
});

test("a proxy's answers in words: a login, a Windows login, a host forbidden, no tunnels, its own trouble", () => {
  const proxy = { host: 'p.lab', port: 3128, shown: 'http://p.lab:3128', variable: 'https_proxy' };
  const at = 'content.dropboxapi.com:443';
  const ntlm = proxyAnswer(proxy, at, 407, 'Proxy Authentication Required', ['ntlm', 'negotiate']);
  assert.equal(ntlm.trouble, 'login');
  assert.match(
    ntlm.message,
    /asks for a Windows login \(ntlm, negotiate, HTTP 407 .*\(cntlm or px\)/,
  );
  assert.match(
    proxyAnswer(proxy, at, 407, '', ['basic']).message,
    /asks for a user name and password/,
  );
  assert.equal(proxyAnswer(proxy, at, 403, 'Forbidden').trouble, 'refused');
  assert.match(
    proxyAnswer(proxy, at, 501, '').message,
    /does not open tunnels \(CONNECT: HTTP 501\)/,
  );
  for (const status of [500, 502, 503, 504]) {
    const e = proxyAnswer(proxy, at, status, '');
    assert.equal(e.trouble, 'unreachable', String(status));
    assert.match(e.message, /could not reach content\.dropboxapi\.com:443 .*add it to no_proxy/);
  }
});

test('values that cannot be used say why and how, without the password', () => {
  const cases: [string, RegExp][] = [
    [
      'socks5://u:pw@10.0.0.1:1080',
      /^x names socks5:\/\/u:\*\*\*@10\.0\.0\.1:1080, but SOCKS proxies are not supported/,
    ],
    [
      'https://10.0.0.1:3128',
      /proxy reached over TLS \(https:\/\/\) is not supported: use the proxy's http:\/\/ address/,
    ],
    ['http://10.0.0.1:3128/proxy.pac', /with nothing after the port/],
    ['http://u:pw@bad host:1', /^x is not a proxy address \(got "http:\/\/u:\*\*\*@bad host:1"\)/],
    ['ftp://10.0.0.1', /"ftp:\/\/" is not a proxy scheme/],
  ];
  for (const [value, words] of cases) {
    const m = parseProxy('x', value);
    assert.ok(isProxyMistake(m), value);
    assert.match(m.mistake, words);
    assert.ok(!m.mistake.includes('pw'), m.mistake);
  }
});

test('quotes kept around a value, and a password hidden in an encoded user name', () => {
  const quoted = parseProxy('https_proxy', '"http://p.lab:3128"');
  assert.ok(isProxyMistake(quoted));
  assert.match(quoted.mistake, /^https_proxy is in quotes \("…"\): write it without them/);
  const colon = proxyOf(parseProxy('https_proxy', 'http://lab%3ASekr1tXY@p.lab:3128'));
  assert.equal(colon.shown, 'http://lab:***@p.lab:3128');
  // As curl sends it: that whole user name, an empty password.
  assert.equal(colon.authorization, `Basic ${Buffer.from('lab:Sekr1tXY:').toString('base64')}`);
  assert.equal(colon.password, 'Sekr1tXY', 'kept out of the log as a password');
});

test('a certificate not trusted: the fix looks at NODE_EXTRA_CA_CERTS when it is set', async () => {
  assert.match(trustFix({}), /give RDL Sync its certificate authority \(NODE_EXTRA_CA_CERTS=/);
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-ca-words-'));
  try {
    const missing = path.join(dir, 'typo.pem');
    assert.match(
      trustFix({ NODE_EXTRA_CA_CERTS: missing }),
      new RegExp(
        `^NODE_EXTRA_CA_CERTS names ${missing}, which cannot be read \\(ENOENT\\), so no authority was added: correct the path`,
      ),
    );
    const notPem = path.join(dir, 'ca.der');
    await fs.writeFile(notPem, Buffer.from([0x30, 0x82, 0x01]));
    assert.match(trustFix({ NODE_EXTRA_CA_CERTS: notPem }), /which holds no certificate \(PEM/);
    const pem = path.join(dir, 'ca.pem');
    await fs.writeFile(pem, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    assert.match(
      trustFix({ NODE_EXTRA_CA_CERTS: pem }),
      /^the authorities in NODE_EXTRA_CA_CERTS \(.*ca\.pem\) do not vouch for it/,
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('no_proxy: names and the names below them, addresses, ranges, ports, *; loopback always', () => {
  const rules = proxyRulesFromEnv({
    https_proxy: 'http://proxy:3128',
    no_proxy:
      'intranet.example, .corp.example ,10.1.0.0/16,192.168.1.5,hooks.example:8443,[fd00::1]',
  });
  const direct = (url: string): boolean => proxyFor(rules, new URL(url)) === undefined;
  assert.equal(direct('https://intranet.example/'), true);
  assert.equal(direct('https://wiki.intranet.example/'), true);
  assert.equal(direct('https://notintranet.example/'), false);
  assert.equal(direct('https://a.corp.example/'), true);
  assert.equal(direct('https://corp.example/'), true);
  assert.equal(direct('https://10.1.200.3/'), true);
  assert.equal(direct('https://10.2.0.1/'), false);
  assert.equal(direct('https://192.168.1.5/'), true);
  assert.equal(direct('https://hooks.example:8443/'), true);
  assert.equal(direct('https://hooks.example/'), false);
  assert.equal(direct('https://[fd00::1]/'), true);
  assert.equal(direct('https://API.DROPBOXAPI.COM./'), false);
  for (const loop of [
    'https://127.0.0.1:9/',
    'https://localhost/',
    'https://[::1]/',
    'https://127.3.4.5/',
  ])
    assert.equal(direct(loop), true, loop);
  assert.equal(
    proxyFor(proxyRulesFromEnv({ https_proxy: 'http://p:1', NO_PROXY: '*' }), API),
    undefined,
  );
});

test('the route in words, as doctor and the start-up log line say it', () => {
  assert.equal(describeRoute(proxyRulesFromEnv({}), API), 'direct (no proxy is set)');
  assert.equal(
    describeRoute(proxyRulesFromEnv({ HTTPS_PROXY: 'http://u:pw@p.lab:3128' }), API),
    'through the proxy http://u:***@p.lab:3128 (from HTTPS_PROXY)',
  );
  assert.equal(
    describeRoute(proxyRulesFromEnv({ https_proxy: 'p:1', NO_PROXY: 'x, .dropboxapi.com' }), API),
    'direct: NO_PROXY\'s entry ".dropboxapi.com" sends api.dropboxapi.com past the proxy',
  );
  // A proxy variable that is set but not the one for https: named, not "no proxy is set".
  assert.equal(
    describeRoute(proxyRulesFromEnv({ HTTP_PROXY: 'http://p:3128' }), API),
    "direct: HTTP_PROXY is set, but it is the proxy for plain http; the proxy for https (Dropbox's) is https_proxy",
  );
  // Both of Dropbox's hosts, each named when no_proxy treats them apart.
  const split = proxyRulesFromEnv({
    https_proxy: 'http://p:3128',
    no_proxy: 'content.dropboxapi.com',
  });
  assert.equal(
    dropboxRoute('', split).words,
    'api.dropboxapi.com through the proxy http://p:3128 (from https_proxy); content.dropboxapi.com direct: no_proxy\'s entry "content.dropboxapi.com" sends content.dropboxapi.com past the proxy',
  );
  assert.equal(
    dropboxRoute('', proxyRulesFromEnv({ https_proxy: 'http://p:3128' })).words,
    'through the proxy http://p:3128 (from https_proxy)',
  );
  assert.match(
    describeRoute(proxyRulesFromEnv({ https_proxy: 'socks5://p:1' }), API),
    /^not possible: https_proxy names socks5:\/\/p:1, but SOCKS/,
  );
});

test('Dropbox out of reach on the direct way names the errno, and proxy variables that sent it there', () => {
  const saved = { ...process.env };
  const dnsFailure = Object.assign(new Error('getaddrinfo ENOTFOUND api.dropboxapi.com'), {
    code: 'ENOTFOUND',
  });
  const words = (): string => exhausted(classifyDropboxError(dnsFailure), 6).message;
  try {
    for (const v of [
      'http_proxy',
      'HTTP_PROXY',
      'https_proxy',
      'HTTPS_PROXY',
      'all_proxy',
      'ALL_PROXY',
      'no_proxy',
      'NO_PROXY',
    ])
      delete process.env[v];
    assert.equal(
      words(),
      "Dropbox could not be reached after 6 attempts: the name of Dropbox's server could not be looked up (ENOTFOUND); check the hub's network connection and its DNS server; uploads resume by themselves",
    );
    process.env.HTTP_PROXY = 'http://proxy.lab:3128';
    assert.match(
      words(),
      /\(ENOTFOUND\); check the hub's network connection and its DNS server \(HTTP_PROXY is set, but it is the proxy for plain http; Dropbox's needs https_proxy\)/,
    );
    process.env.https_proxy = 'http://proxy.lab:3128';
    process.env.no_proxy = 'localhost,dropboxapi.com';
    assert.match(
      words(),
      /its DNS server \(no_proxy's entry "dropboxapi\.com" sends Dropbox past the proxy\)/,
    );
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
});
