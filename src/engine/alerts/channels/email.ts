// Alerts and the digest by email over SMTP (any relay: SendGrid, the site's own, a local MTA).
// TLS from the start (465), STARTTLS required (587), or plain only to this machine; certificates
// are always checked (an extra CA file serves private relays).
import { smtpHint } from './smtp-hints.js';
import fs from 'node:fs';
import type NodemailerModule from 'nodemailer';
import type { Settings } from '../../settings/schema.js';
import { redact } from '../../log/index.js';
import { alertSubject, alertText } from '../render.js';
import type { Alert, AlertOrigin } from '../types.js';
import type { AlertChannel } from './types.js';

/** An SMTP relay that does not answer is given up on after this (the next alert tries again). */
const SMTP_TIMEOUT_MS = 30_000;

type Nodemailer = typeof NodemailerModule;
let mailer: Promise<Nodemailer> | undefined;

/**
 * nodemailer, loaded once per process. Not at start-up: most hubs never send a mail, and its
 * modules would otherwise sit in every process (`once`'s start, the tray app's memory, issue 11).
 * But a daemon with email set up loads it soon after it starts (AlertService), because it is a
 * separate file of the package: one upgraded or removed under a running daemon would otherwise
 * fail the first alert of the next months, the one that matters.
 */
export function loadMailer(): Promise<Nodemailer> {
  mailer ??= import('nodemailer').then(
    (m) => m.default,
    (e: unknown) => {
      mailer = undefined; // the files may come back (a reinstall); the next mail tries again
      throw new Error(
        `cannot load the mail module (${(e as Error).message}): RDL Sync's files changed while it ran (an upgrade?); restart RDL Sync (sudo systemctl restart rdl-sync, or quit the app and start it)`,
        { cause: e },
      );
    },
  );
  return mailer;
}

/** Whether these settings send alerts by email (a recipient and a relay). */
export function emailConfigured(s: Pick<Settings, 'alertEmailTo' | 'smtpHost'>): boolean {
  return s.alertEmailTo.length > 0 && s.smtpHost !== '';
}

export interface Mail {
  subject: string;
  text: string;
  html?: string;
}

export type EmailSettings = Pick<
  Settings,
  | 'alertEmailTo'
  | 'alertEmailFrom'
  | 'smtpHost'
  | 'smtpPort'
  | 'smtpSecurity'
  | 'smtpUser'
  | 'smtpCaFile'
>;

export class EmailChannel implements AlertChannel {
  readonly id = 'email' as const;
  readonly label: string;

  constructor(
    private readonly s: EmailSettings,
    private readonly password: string | undefined,
    private readonly timeoutMs = SMTP_TIMEOUT_MS,
  ) {
    this.label = `email to ${s.alertEmailTo.join(', ')}`;
  }

  /** null when no recipient is set. */
  static fromSettings(s: EmailSettings, password: string | undefined): EmailChannel | null {
    if (!emailConfigured(s)) return null;
    return new EmailChannel(s, password);
  }

  async send(alert: Alert, origin: AlertOrigin): Promise<void> {
    await this.sendMail({ subject: alertSubject(alert, origin), text: alertText(alert, origin) });
  }

  async sendMail(mail: Mail): Promise<void> {
    const s = this.s;
    if (s.smtpUser !== '' && !this.password) {
      throw new Error(
        'no SMTP password is saved for the SMTP user: run rdl-sync alert secret smtp-password',
      );
    }
    const ca = s.smtpCaFile === '' ? undefined : readCa(s.smtpCaFile);
    const nodemailer = await loadMailer();
    const transport = nodemailer.createTransport({
      host: s.smtpHost,
      port: s.smtpPort,
      secure: s.smtpSecurity === 'tls',
      requireTLS: s.smtpSecurity === 'starttls',
      ignoreTLS: s.smtpSecurity === 'none',
      ...(s.smtpUser !== '' ? { auth: { user: s.smtpUser, pass: this.password! } } : {}),
      tls: { rejectUnauthorized: true, ...(ca ? { ca } : {}) },
      connectionTimeout: this.timeoutMs,
      greetingTimeout: this.timeoutMs,
      socketTimeout: this.timeoutMs,
    });
    try {
      await transport.sendMail({
        from: s.alertEmailFrom,
        to: s.alertEmailTo.join(', '),
        subject: mail.subject,
        text: mail.text,
        ...(mail.html ? { html: mail.html } : {}),
      });
    } catch (e) {
      const hint = smtpHint(e, s);
      throw new Error(
        `SMTP ${s.smtpHost}:${s.smtpPort} refused or failed: ${smtpReason(e)}${hint ? `; ${hint}` : ''}`,
        { cause: e },
      );
    } finally {
      transport.close();
    }
  }
}

function readCa(file: string): Buffer {
  try {
    return fs.readFileSync(file);
  } catch (e) {
    throw new Error(
      `cannot read the SMTP extra CA file ${file} (${(e as NodeJS.ErrnoException).code ?? 'error'}): fix the path in Settings`,
      { cause: e },
    );
  }
}

/** nodemailer's message, short, without anything the server echoed back that could be secret. */
function smtpReason(e: unknown): string {
  const err = e as { code?: string; responseCode?: number; message?: string };
  // A refused login's reply may quote what it was sent: AUTH PLAIN's base64 of user and password,
  // which no redaction of the password as typed finds (security review). Its text is left out.
  if (err.code === 'EAUTH')
    return `the server refused the SMTP user name or password (EAUTH${err.responseCode ? ` ${err.responseCode}` : ''})`;
  const head = (err.message ?? String(e)).split('\n')[0]!.slice(0, 200);
  const code = [err.code, err.responseCode].filter((x) => x !== undefined).join(' ');
  return redact(code ? `${head} (${code})` : head);
}
