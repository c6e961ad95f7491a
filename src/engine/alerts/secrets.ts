// The alert channels' secrets: the SMTP password and the webhook URL (Slack, ntfy and most
// webhook services put their token in the URL). Kept like the Dropbox connection for the daemon:
// a JSON file only this user can read (0600 in the 0700 config folder), never in settings.json
// (which the window shows and people paste into support requests), registered for redaction as
// soon as they are read so no log line or problem message can carry them.
import path from 'node:path';
import * as z from 'zod';
import { registerSecret } from '../log/index.js';
import { readIfPresent, removeIfPresent, writePrivateFile } from '../credentials/file-store.js';

export const ALERT_SECRETS_FILE = 'alert-secrets.json';

export const ALERT_SECRET_NAMES = ['smtp-password', 'webhook-url'] as const;
export type AlertSecretName = (typeof ALERT_SECRET_NAMES)[number];

export interface AlertSecrets {
  smtpPassword?: string;
  webhookUrl?: string;
}

const secretsSchema = z.object({
  smtpPassword: z.string().min(1).optional(),
  webhookUrl: z.string().min(1).optional(),
});

const KEY_OF: Record<AlertSecretName, keyof AlertSecrets> = {
  'smtp-password': 'smtpPassword',
  'webhook-url': 'webhookUrl',
};

export class AlertSecretStore {
  readonly file: string;

  constructor(private readonly configDir: string) {
    this.file = path.join(configDir, ALERT_SECRETS_FILE);
  }

  async load(): Promise<AlertSecrets> {
    const text = await readIfPresent(this.file).catch(() => null);
    if (text === null) return {};
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch {
      // Never quote the file: it is the secret.
      throw new Error(
        `The alert secrets file ${this.file} is damaged (not valid JSON): set them again with rdl-sync alert secret`,
      );
    }
    const parsed = secretsSchema.safeParse(data);
    if (!parsed.success) {
      throw new Error(
        `The alert secrets file ${this.file} is damaged: set them again with rdl-sync alert secret`,
      );
    }
    registerAll(parsed.data);
    return parsed.data;
  }

  /** Sets (or with an empty value removes) one secret. */
  async set(name: AlertSecretName, value: string): Promise<void> {
    const v = value.trim();
    if (name === 'webhook-url' && v !== '') checkWebhookUrl(v);
    const current = await this.load();
    const next: AlertSecrets = { ...current, [KEY_OF[name]]: v === '' ? undefined : v };
    registerAll(next);
    const clean = JSON.parse(JSON.stringify(next)) as AlertSecrets;
    if (Object.keys(clean).length === 0) {
      await removeIfPresent(this.file);
      return;
    }
    await writePrivateFile(this.configDir, this.file, JSON.stringify(clean, null, 2));
  }
}

function registerAll(s: AlertSecrets): void {
  registerSecret(s.smtpPassword);
  registerSecret(s.webhookUrl);
  if (s.webhookUrl) {
    // The URL's path and query carry the token: redact them wherever they appear alone.
    try {
      const u = new URL(s.webhookUrl);
      registerSecret(u.pathname.length > 1 ? u.pathname : null);
      registerSecret(u.search.length > 1 ? u.search.slice(1) : null);
    } catch {
      // an unparsable URL is refused by checkWebhookUrl when set
    }
  }
}

/** https anywhere, plain http only to this machine (the URL carries a token). */
export function checkWebhookUrl(u: string): URL {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    throw new Error('The webhook URL is not a URL: give it as https://host/path');
  }
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\./.test(host);
  if (url.protocol === 'https:' || (url.protocol === 'http:' && loopback)) return url;
  throw new Error(
    'The webhook URL must start with https:// (plain http only to this machine): it carries a token',
  );
}
