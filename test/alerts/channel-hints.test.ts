// A failing SMTP send (or webhook) names the setting to change, not only the symptom ("wrong version number",
// "Greeting never received"): a technician setting up alerts on a hub read OpenSSL's words and
// could not tell which of host, port and security was wrong. Real loopback servers: a plain SMTP
// server, one that needs a login, a port nothing listens on, and one that never greets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { EmailChannel, type EmailSettings } from '../../src/engine/alerts/channels/email.js';
import { alert, emailSettings as settings, origin } from './channel-fixtures.js';
import { WebhookChannel } from '../../src/engine/alerts/channels/webhook.js';
import { freePort, startSmtp, startWebhookServer } from './loopback.js';

async function failure(s: EmailSettings, password?: string, timeoutMs = 5_000): Promise<string> {
  const e = await new EmailChannel(s, password, timeoutMs).send(alert, origin).then(
    () => null,
    (x: unknown) => x as Error,
  );
  assert.ok(e, 'the send must fail');
  return e.message;
}

test('each SMTP failure names the setting to change', async () => {
  const plain = await startSmtp();
  const guarded = await startSmtp({ auth: { user: 'apikey', pass: 'right-one' } });
  const silent = net.createServer(() => {}); // takes the connection, never greets
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  try {
    const tlsOnPlain = await failure(settings(plain.port, { smtpSecurity: 'tls' }));
    assert.match(
      tlsOnPlain,
      /^SMTP 127\.0\.0\.1:\d+ refused or failed: .*; port \d+ speaks plain SMTP, not TLS from the start: set smtpSecurity to starttls/,
    );

    const nobody = await failure(settings(await freePort()));
    assert.match(
      nobody,
      /; nothing takes connections on 127\.0\.0\.1 port \d+: check smtpHost and smtpPort/,
    );

    const port = (silent.address() as net.AddressInfo).port;
    const mute = await failure(settings(port), undefined, 1_000);
    assert.match(
      mute,
      /; 127\.0\.0\.1 port \d+ does not answer as a mail server in time: check smtpHost and smtpPort/,
    );

    const login = await failure(settings(guarded.port, { smtpUser: 'apikey' }), 'wrong-one');
    assert.match(login, /; the server refused the login: check smtpUser and its password/);
    assert.ok(!login.includes('wrong-one'));
  } finally {
    await plain.close();
    await guarded.close();
    await new Promise((r) => silent.close(r));
  }
});

test('a webhook that cannot be reached names the part of the URL to fix: https:// to a plain HTTP server, a closed port', async () => {
  const server = await startWebhookServer();
  try {
    const send = (url: string) =>
      new WebhookChannel(url, 'generic', { attempts: 1, baseMs: 10, timeoutMs: 5_000 })
        .send(alert, origin)
        .then(
          () => '',
          (e: unknown) => (e as Error).message,
        );
    const tlsOnPlain = await send(`${server.url.replace('http://', 'https://')}/hook`);
    assert.match(
      tlsOnPlain,
      /cannot connect \(ERR_SSL_[A-Z_]+\): the server speaks plain HTTP there, so the URL must begin with http:\/\//,
    );
    assert.equal(server.requests.length, 0);
    const closed = await send(`http://127.0.0.1:${await freePort()}/hook`);
    assert.match(
      closed,
      /cannot connect \(ECONNREFUSED\): nothing takes connections at the URL's host and port/,
    );
  } finally {
    await server.close();
  }
});
