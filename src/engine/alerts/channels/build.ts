// The channels configured in these settings and secrets. Adding a channel: see README.md here.
import type { Settings } from '../../settings/schema.js';
import type { AlertSecrets } from '../secrets.js';
import { CommandChannel } from './command.js';
import { EmailChannel } from './email.js';
import type { AlertChannel } from './types.js';
import { WebhookChannel, type WebhookRetry } from './webhook.js';

export interface ChannelTuning {
  webhookRetry?: WebhookRetry;
}

export function buildChannels(
  s: Settings,
  secrets: AlertSecrets,
  tuning: ChannelTuning = {},
): AlertChannel[] {
  const out: AlertChannel[] = [];
  const email = EmailChannel.fromSettings(s, secrets.smtpPassword);
  if (email) out.push(email);
  if (s.alertWebhookFormat !== 'off' && secrets.webhookUrl) {
    out.push(new WebhookChannel(secrets.webhookUrl, s.alertWebhookFormat, tuning.webhookRetry));
  }
  if (s.alertCommand !== '') {
    out.push(new CommandChannel(s.alertCommand, s.alertCommandTimeoutSeconds * 1000));
  }
  return out;
}
