// An alert as words: the text of an email or chat message, the same for every channel.
import { alertTitle, type Alert, type AlertOrigin } from './types.js';
import { FILE_FAILING_PREFIX } from '../pipeline/problems.js';
import { FILES_FAILING_PREFIX } from './file-groups.js';

function when(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/** Files held until a person puts the file itself right (pipeline/file-version.ts, zeroed.ts). */
const HELD_FOR_A_PERSON: ReadonlySet<Alert['code']> = new Set(['file-cut-short', 'file-zeroed']);

/**
 * A failing file is tried again by itself, at most an hour apart; the person who fixes its cause
 * from afar need not wait for that, and the alert is where a headless hub's operator reads what
 * to do. Not for a file cut short or zeroed: those wait for the file itself to be put right.
 */
function afterTheFix(alert: Alert): string[] {
  const failing =
    alert.conditionId.startsWith(FILE_FAILING_PREFIX) ||
    alert.conditionId.startsWith(FILES_FAILING_PREFIX);
  if (!failing || alert.kind === 'cleared' || HELD_FOR_A_PERSON.has(alert.code)) return [];
  return [
    '',
    'Once the cause is fixed, `rdl-sync sync` on the hub (or "Sync now" in its tray app) tries again at once; otherwise the next try comes by itself, at most an hour later.',
  ];
}

export function alertText(alert: Alert, origin: AlertOrigin): string {
  return [
    alert.sentence,
    ...afterTheFix(alert),
    '',
    `Site: ${origin.site || '(not set)'}`,
    `Host: ${origin.host}`,
    `Condition: ${alert.conditionId} (${alert.severity})`,
    `Since: ${when(alert.sinceMs)}`,
    `${alert.kind === 'cleared' ? 'Cleared' : alert.kind === 'reminder' ? 'Reminder' : 'Raised'}: ${when(alert.atMs)}`,
  ].join('\n');
}

export function alertSubject(alert: Alert, origin: AlertOrigin): string {
  return alertTitle(alert, origin);
}

/** The JSON every machine-facing channel receives (webhook generic, command hook). */
export function alertJson(alert: Alert, origin: AlertOrigin): Record<string, unknown> {
  return {
    event: alert.kind,
    condition: alert.conditionId,
    code: alert.code,
    severity: alert.severity,
    message: alert.sentence,
    since: new Date(alert.sinceMs).toISOString(),
    at: new Date(alert.atMs).toISOString(),
    site: origin.site,
    host: origin.host,
    title: alertTitle(alert, origin),
  };
}
