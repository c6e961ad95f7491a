// Each channel against a real counterpart on loopback: SMTP (smtp-server: plain with auth, and
// STARTTLS with a certificate checked against an extra CA), an HTTP server for the webhook
// (including a 500 before success), and real programs for the command hook (one reading the
// alert, one that hangs and is stopped).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { EmailChannel } from '../../src/engine/alerts/channels/email.js';
import { WebhookChannel } from '../../src/engine/alerts/channels/webhook.js';
import { CommandChannel } from '../../src/engine/alerts/channels/command.js';
import { redact, registerSecret } from '../../src/engine/log/index.js';
import { AlertSecretStore } from '../../src/engine/alerts/secrets.js';
import { selfSignedCert, startSmtp, startWebhookServer, tempDir } from './loopback.js';
import type { Alert } from '../../src/engine/alerts/types.js';
import { alert, emailSettings, origin } from './channel-fixtures.js';

test('email: SMTP with auth delivers subject, body and recipients; a wrong password fails without the password in the error', async () => {
  const password = 'smtp-pass-Very-Secret-42';
  registerSecret(password);
  const smtp = await startSmtp({ auth: { user: 'apikey', pass: password } });
  try {
    await new EmailChannel(emailSettings(smtp.port, { smtpUser: 'apikey' }), password).send(
      alert,
      origin,
    );
    assert.equal(smtp.mails.length, 1);
    const m = smtp.mails[0]!;
    assert.equal(m.user, 'apikey');
    assert.equal(m.from, 'hub@example.org');
    assert.deepEqual(m.to, ['ops@example.org', 'lab@example.org']);
    assert.equal(
      m.subject,
      'RDL Sync Site3_Ottawa: needs attention: the archive out of reach (archive-missing)',
    );
    assert.match(m.text, /^SD card folder \/media\/sd does not exist: insert the card/);
    assert.match(
      m.text,
      /Site: Site3_Ottawa\nHost: hub-3\nCondition: archive-missing \(attention\)/,
    );
    assert.match(m.text, /Since: 2026-11-30 08:00:00 UTC/);

    const wrong = new EmailChannel(
      emailSettings(smtp.port, { smtpUser: 'apikey' }),
      'wrong-password-also-secret',
    );
    registerSecret('wrong-password-also-secret');
    const e = await wrong.send(alert, origin).then(
      () => null,
      (x: unknown) => x as Error,
    );
    assert.ok(e, 'a refused login must fail the send');
    assert.match(e.message, /^SMTP 127\.0\.0\.1:\d+ refused or failed: .*(535|EAUTH)/);
    assert.ok(!e.message.includes('wrong-password-also-secret'));
    assert.equal(smtp.refusedLogins, 1);
    assert.equal(smtp.mails.length, 1);
    assert.equal(redact(`pass=${password}`).includes(password), false);
  } finally {
    await smtp.close();
  }
});

test("email: a failing file's alert says how to try it again at once once fixed; its clear, and a file held for a person, do not", async () => {
  const smtp = await startSmtp({});
  try {
    const channel = new EmailChannel(emailSettings(smtp.port), '');
    const failing: Alert = {
      ...alert,
      conditionId: 'file-failing:RDL/USB0/a.csv',
      code: 'file-unreadable',
      sentence:
        'RDL/USB0/a.csv failed 3 times: Cannot move it out of the watch folder (EACCES): give the user running RDL Sync write access to the folder. Other files are not affected',
      tab: 'transfers',
    };
    const sent: Alert[] = [
      failing,
      { ...failing, kind: 'reminder' },
      { ...failing, conditionId: 'files-failing:file-unreadable' },
      { ...failing, kind: 'cleared', sentence: 'RDL/USB0/a.csv no longer fails' },
      { ...failing, code: 'file-cut-short', sentence: 'RDL/USB0/a.csv in transit is 2 KB …' },
    ];
    for (const a of sent) await channel.send(a, origin);
    const told = smtp.mails.map((m) => /rdl-sync sync` on the hub .*Sync now/.test(m.text));
    assert.deepEqual(
      told,
      [true, true, true, false, false],
      smtp.mails.map((m) => m.text).join('\n---\n'),
    );
    // Said after the sentence, before the facts.
    assert.match(
      smtp.mails[0]!.text,
      /Other files are not affected\n\nOnce the cause is fixed, .*\n\nSite: /,
    );
  } finally {
    await smtp.close();
  }
});

test('email: STARTTLS is required and the certificate is checked (trusted through the extra CA file)', async () => {
  const dir = await tempDir('rdl-smtp-tls-');
  const smtp = await (async () => {
    const tls = await selfSignedCert(dir);
    return { server: await startSmtp({ auth: { user: 'u1', pass: 'p1-secret-xyz' }, tls }), tls };
  })();
  try {
    const s = emailSettings(smtp.server.port, { smtpSecurity: 'starttls', smtpUser: 'u1' });
    // Without trusting the certificate: refused, nothing delivered.
    const untrusted = await new EmailChannel(s, 'p1-secret-xyz').send(alert, origin).then(
      () => null,
      (x: unknown) => x as Error,
    );
    assert.ok(untrusted);
    assert.match(untrusted.message, /self.signed|certificate/i);
    assert.equal(smtp.server.mails.length, 0);
    await new EmailChannel({ ...s, smtpCaFile: smtp.tls.certFile }, 'p1-secret-xyz').send(
      alert,
      origin,
    );
    assert.equal(smtp.server.mails.length, 1);
    assert.equal(smtp.server.mails[0]!.user, 'u1');
  } finally {
    await smtp.server.close();
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('webhook: a 500 is retried with back-off and the next attempt delivers the generic JSON', async () => {
  const server = await startWebhookServer((n) => (n === 0 ? 500 : 200));
  try {
    const hook = new WebhookChannel(`${server.url}/hooks/T0K3N-abc`, 'generic', {
      attempts: 3,
      baseMs: 50,
      timeoutMs: 5_000,
    });
    assert.equal(hook.label, `webhook (generic) to ${new URL(server.url).host}`);
    await hook.send(alert, origin);
    assert.equal(server.requests.length, 2);
    assert.deepEqual(server.requests[0], server.requests[1]);
    assert.equal(server.requests[1]!.path, '/hooks/T0K3N-abc');
    assert.deepEqual(server.requests[1]!.body, {
      event: 'raised',
      condition: 'archive-missing',
      code: 'archive-missing',
      severity: 'attention',
      message: alert.sentence,
      since: '2026-11-30T08:00:00.000Z',
      at: '2026-11-30T08:05:00.000Z',
      site: 'Site3_Ottawa',
      host: 'hub-3',
      title: 'RDL Sync Site3_Ottawa: needs attention: the archive out of reach (archive-missing)',
    });
  } finally {
    await server.close();
  }
});

test('webhook: Slack {text} and ntfy JSON shapes; a server that keeps failing is reported after the attempts, without the URL path', async () => {
  const server = await startWebhookServer((n) => (n < 2 ? 200 : 503));
  try {
    await new WebhookChannel(`${server.url}/services/AAA/BBB`, 'slack').send(alert, origin);
    const slack = server.requests[0]!.body as { text: string };
    assert.deepEqual(Object.keys(slack), ['text']);
    assert.match(
      slack.text,
      /^\*RDL Sync Site3_Ottawa: needs attention: the archive out of reach \(archive-missing\)\*\nSD card folder/,
    );

    await new WebhookChannel(`${server.url}/rdl-alerts`, 'ntfy').send(
      { ...alert, severity: 'error', code: 'auth-revoked', conditionId: 'auth-revoked' },
      origin,
    );
    assert.equal(server.requests[1]!.path, '/');
    const ntfy = server.requests[1]!.body as Record<string, unknown>;
    assert.equal(ntfy.topic, 'rdl-alerts');
    assert.equal(ntfy.priority, 5);
    assert.equal(
      ntfy.title,
      'RDL Sync Site3_Ottawa: needs action now: Dropbox access revoked (auth-revoked)',
    );

    const failing = new WebhookChannel(`${server.url}/secret-path-token`, 'generic', {
      attempts: 3,
      baseMs: 20,
      timeoutMs: 5_000,
    });
    const e = await failing.send(alert, origin).then(
      () => null,
      (x: unknown) => x as Error,
    );
    assert.ok(e);
    assert.match(e.message, /webhook to 127\.0\.0\.1:\d+ failed: HTTP 503/);
    assert.ok(!e.message.includes('secret-path-token'));
    assert.equal(server.requests.length, 2 + 3, 'three attempts, then given up');
  } finally {
    await server.close();
  }
});

test('command hook: the program gets the alert as JSON on stdin and in RDL_ALERT_* variables', async () => {
  const dir = await tempDir('rdl-cmd-');
  try {
    const out = path.join(dir, 'received');
    const script = path.join(dir, 'hook.sh');
    await fs.writeFile(
      script,
      `#!/bin/sh\ncat > "${out}.json"\nprintf '%s|%s|%s|%s' "$RDL_ALERT_EVENT" "$RDL_ALERT_CONDITION" "$RDL_ALERT_SEVERITY" "$RDL_ALERT_SITE" > "${out}.env"\n`,
      { mode: 0o755 },
    );
    await new CommandChannel(script, 10_000).send(alert, origin);
    const json = JSON.parse(await fs.readFile(`${out}.json`, 'utf8')) as Record<string, unknown>;
    assert.equal(json.condition, 'archive-missing');
    assert.equal(json.message, alert.sentence);
    assert.equal(
      await fs.readFile(`${out}.env`, 'utf8'),
      'raised|archive-missing|attention|Site3_Ottawa',
    );

    const failing = path.join(dir, 'fail.sh');
    await fs.writeFile(failing, '#!/bin/sh\necho "relay down" >&2\nexit 3\n', { mode: 0o755 });
    await assert.rejects(
      new CommandChannel(failing, 10_000).send(alert, origin),
      /failed \(exit 3\): relay down/,
    );
    await assert.rejects(
      new CommandChannel(path.join(dir, 'absent'), 10_000).send(alert, origin),
      /could not start \(ENOENT\)/,
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('command hook: a program that hangs is stopped at the timeout, with the child it started', async () => {
  const dir = await tempDir('rdl-cmd-hang-');
  try {
    const pidFile = path.join(dir, 'child.pid');
    const script = path.join(dir, 'hang.sh');
    // The script starts a sleeping child and waits on it: both must be gone after the timeout.
    await fs.writeFile(script, `#!/bin/sh\nsleep 300 &\necho $! > "${pidFile}"\nwait\n`, {
      mode: 0o755,
    });
    await assert.rejects(
      new CommandChannel(script, 1_000).send(alert, origin),
      /did not finish in 1 s and was stopped/,
    );
    const childPid = Number(await fs.readFile(pidFile, 'utf8'));
    assert.ok(childPid > 0);
    const deadline = Date.now() + 5_000;
    let alive = true;
    while (alive && Date.now() < deadline) {
      try {
        process.kill(childPid, 0);
        await new Promise((r) => setTimeout(r, 50));
      } catch {
        alive = false;
      }
    }
    assert.equal(alive, false, 'the sleeping child was stopped with its parent');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

// A relay that quotes the refused AUTH line in its 535 reply put AUTH PLAIN's base64 of the user
// and password into the error, the log and the alerts sent through the other channels; the
// password as typed is redacted, its base64 is not (security review). A real socket speaking SMTP.
test('email: a refused login never quotes the server, whose reply may echo the encoded password', async () => {
  const password = 'smtpSECRET_XYZpass';
  registerSecret(password);
  const server = net.createServer((socket) => {
    socket.setEncoding('utf8');
    socket.write('220 echo.test ESMTP\r\n');
    let buffered = '';
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      let end: number;
      while ((end = buffered.indexOf('\r\n')) >= 0) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 2);
        if (/^EHLO/i.test(line)) socket.write('250-echo.test\r\n250 AUTH PLAIN\r\n');
        else if (/^AUTH/i.test(line)) socket.write(`535 5.7.8 rejected: ${line}\r\n`);
        else if (/^QUIT/i.test(line)) socket.end('221 bye\r\n');
        else socket.write('502 not here\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as net.AddressInfo).port;
    const e = await new EmailChannel(emailSettings(port, { smtpUser: 'user' }), password)
      .send(alert, origin)
      .then(
        () => null,
        (x: unknown) => x as Error,
      );
    assert.ok(e, 'the refused login fails the send');
    const encoded = Buffer.from(`\0user\0${password}`).toString('base64');
    assert.ok(!e.message.includes(encoded), e.message);
    assert.ok(!e.message.includes('AUTH PLAIN'), e.message);
    assert.match(
      e.message,
      /^SMTP 127\.0\.0\.1:\d+ refused or failed: the server refused the SMTP user name or password \(EAUTH 535\)/,
    );
  } finally {
    await new Promise((r) => server.close(r));
  }
});

// Some services make the token the host (<token>.m.pipedream.net): the label "webhook (generic)
// to <host>" showed it in `alert test`, the log, the status and the other channels' alerts
// (security review). A token-like first label is cut from what is shown, and redacted.
test('webhook: a host that is the token is never shown; a plain host is', async () => {
  const token = 'en4k2x9q7w1t5y3u8';
  const url = `https://${token}.m.example.invalid/hook`;
  const channel = new WebhookChannel(url, 'generic', { attempts: 1, baseMs: 1, timeoutMs: 2000 });
  assert.equal(channel.label, 'webhook (generic) to ….m.example.invalid');
  const e = await channel.send(alert, origin).then(
    () => null,
    (x: unknown) => x as Error,
  );
  assert.ok(e, 'a host that cannot be found fails the send');
  assert.ok(!e.message.includes(token), e.message);
  assert.match(e.message, /^webhook to …\.m\.example\.invalid failed: /);
  assert.equal(
    new WebhookChannel('https://hooks.slack.com/services/T0/B0/x', 'slack').label,
    'webhook (slack) to hooks.slack.com',
  );
  // Saved as the webhook's URL, the host's token is redacted wherever it appears (an ENOTFOUND).
  const dir = await tempDir('rdl-webhook-host-');
  try {
    await new AlertSecretStore(dir).set('webhook-url', url);
    assert.equal(redact(`getaddrinfo ENOTFOUND ${token}.m.example.invalid`).includes(token), false);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
