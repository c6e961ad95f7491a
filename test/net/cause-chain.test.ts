import assert from 'node:assert/strict';
import test from 'node:test';
import { anyCause, CAUSE_DEPTH, findInCauses } from '../../src/engine/net/cause-chain.js';
import { proxyErrorIn, ProxyError } from '../../src/engine/net/proxy-tunnel.js';
import { untrustedCertificate } from '../../src/engine/net/tls-trust.js';

/** `inner` wrapped `levels` times, as fetch and the SDK wrap a socket's failure. */
function wrapped(inner: unknown, levels: number): unknown {
  let e = inner;
  for (let i = 0; i < levels; i++) e = new TypeError(`wrap ${i}`, { cause: e });
  return e;
}

const refused = (): Error =>
  Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });

test('a cause is found at any depth up to the bound, the first answer wins, none past it', () => {
  const codeOf = (cur: Record<string, unknown>) => (typeof cur.code === 'string' ? cur.code : null);
  assert.equal(findInCauses(refused(), codeOf), 'ECONNREFUSED');
  assert.equal(findInCauses(wrapped(refused(), CAUSE_DEPTH - 1), codeOf), 'ECONNREFUSED');
  assert.equal(findInCauses(wrapped(refused(), CAUSE_DEPTH), codeOf), null);
  const outer = Object.assign(new Error('outer', { cause: refused() }), { code: 'EOUTER' });
  assert.equal(findInCauses(outer, codeOf), 'EOUTER');
  assert.equal(
    anyCause(wrapped(refused(), 3), (cur) => cur.code === 'ECONNREFUSED'),
    true,
  );
  assert.equal(
    anyCause(wrapped(refused(), 3), (cur) => cur.code === 'ENOTFOUND'),
    false,
  );
});

test('non-objects and a chain that loops end the walk', () => {
  assert.equal(
    findInCauses(undefined, () => 1),
    null,
  );
  assert.equal(
    findInCauses('ECONNREFUSED', () => 1),
    null,
  );
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as { cause?: unknown }).cause = b;
  let visited = 0;
  assert.equal(
    findInCauses(a, () => {
      visited++;
      return null;
    }),
    null,
  );
  assert.equal(visited, CAUSE_DEPTH);
});

test('the proxy and certificate questions find their cause under fetch-like wrapping', () => {
  const proxy = new ProxyError('unreachable', 'cannot connect to the proxy');
  assert.equal(proxyErrorIn(wrapped(proxy, 3)), proxy);
  assert.equal(proxyErrorIn(wrapped(refused(), 3)), null);
  const cert = Object.assign(new Error('certificate has expired'), { code: 'CERT_HAS_EXPIRED' });
  assert.deepEqual(untrustedCertificate(wrapped(cert, 3)), {
    code: 'CERT_HAS_EXPIRED',
    dates: true,
  });
  assert.equal(untrustedCertificate(wrapped(refused(), 3)), null);
});
