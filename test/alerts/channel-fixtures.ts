// The alert and the email settings the channel tests send with (channels, channel-hints).
import type { EmailSettings } from '../../src/engine/alerts/channels/email.js';
import type { Alert, AlertOrigin } from '../../src/engine/alerts/types.js';

export const origin: AlertOrigin = { site: 'Site3_Ottawa', host: 'hub-3' };

export const alert: Alert = {
  kind: 'raised',
  conditionId: 'archive-missing',
  code: 'archive-missing',
  severity: 'attention',
  sentence:
    'SD card folder /media/sd does not exist: insert the card; files wait safely in transit.',
  sinceMs: Date.UTC(2026, 10, 30, 8, 0),
  atMs: Date.UTC(2026, 10, 30, 8, 5),
  tab: 'status',
};

/** Plain SMTP to a loopback server on `port`, two recipients. */
export function emailSettings(port: number, extra: Partial<EmailSettings> = {}): EmailSettings {
  return {
    alertEmailTo: ['ops@example.org', 'lab@example.org'],
    alertEmailFrom: 'hub@example.org',
    smtpHost: '127.0.0.1',
    smtpPort: port,
    smtpSecurity: 'none',
    smtpUser: '',
    smtpCaFile: '',
    ...extra,
  };
}
