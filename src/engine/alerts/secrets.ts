// The alert channels' secrets: the SMTP password and the webhook URL (Slack, ntfy and most
// webhook services put their token in the URL). Kept like the Dropbox connection for the daemon:
// a JSON file only this user can read (0600 in the 0700 config folder), never in settings.json
// (which the window shows and people paste into support requests), registered for redaction as
// soon as they are read so no log line or problem message can carry them.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as z from 'zod';
import { registerSecret } from '../log/index.js';
import { removeIfPresent, writePrivateFile } from '../credentials/file-store.js';
import { webhookHostToken } from './channels/webhook-host.js';

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
    const text = await this.readText();
    if (text === null) return {};
    const parsed = parseSecrets(text);
    // Never quote the file: it is the secret.
    if (!parsed)
      throw new Error(
        `The alert secrets file ${this.file} is damaged: set them again with rdl-sync alert secret`,
      );
    registerAll(parsed);
    return parsed;
  }

  /** Whether `name` is saved (a damaged file holds none that can be used). */
  async has(name: AlertSecretName): Promise<boolean> {
    const text = await this.readText();
    return text !== null && parseSecrets(text)?.[KEY_OF[name]] !== undefined;
  }

  /**
   * Sets (or with an empty value removes) one secret. A damaged file is replaced, since setting a
   * secret is what its error tells a person to do (`replacedDamaged` then says so, as the other
   * secret in it is gone); a file this user cannot read is not: replacing it would drop the other
   * secret silently, and its owner is what needs fixing.
   */
  async set(
    name: AlertSecretName,
    value: string,
  ): Promise<{ replacedDamaged: boolean; hadOne: boolean }> {
    const v = value.trim();
    if (name === 'webhook-url' && v !== '') checkWebhookUrl(v);
    const text = await this.readText();
    const parsed = text === null ? {} : parseSecrets(text);
    const current = parsed ?? {};
    if (parsed) registerAll(parsed);
    const next: AlertSecrets = { ...current, [KEY_OF[name]]: v === '' ? undefined : v };
    registerAll(next);
    const clean = JSON.parse(JSON.stringify(next)) as AlertSecrets;
    if (Object.keys(clean).length === 0) await removeIfPresent(this.file);
    else await writePrivateFile(this.configDir, this.file, JSON.stringify(clean, null, 2));
    return { replacedDamaged: parsed === null, hadOne: current[KEY_OF[name]] !== undefined };
  }

  /**
   * The file's text, or null when there is none. Any other failure to read it is an error: an
   * unreadable file taken for "no secrets" left the webhook and the SMTP password silently unset
   * (a `sudo rdl-sync alert secret` leaves a root-owned file the service's user cannot read).
   */
  private async readText(): Promise<string | null> {
    try {
      return await fs.readFile(this.file, 'utf8');
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      if (code === 'ENOENT') return null;
      const user = os.userInfo().username;
      const fix =
        code === 'EACCES' || code === 'EPERM'
          ? `make it this user's (${user}): sudo chown ${user} '${this.file}', or remove it and set the secrets again with rdl-sync alert secret`
          : 'remove it and set the secrets again with rdl-sync alert secret';
      throw new Error(`Cannot read the alert secrets file ${this.file} (${code}): ${fix}`, {
        cause: e,
      });
    }
  }
}

/** The secrets in the file's text, or null when it is not what we write (damaged). */
function parseSecrets(text: string): AlertSecrets | null {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  const parsed = secretsSchema.safeParse(data);
  return parsed.success ? parsed.data : null;
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
      // A host that is the token (<token>.m.pipedream.net): its errors quote it (ENOTFOUND).
      registerSecret(webhookHostToken(u));
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
