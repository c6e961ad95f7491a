// An alert as words: the text of an email or chat message, the same for every channel.
import { alertTitle, type Alert, type AlertOrigin } from './types.js';
import { TRY_AGAIN_NOW, triedAgainWhenAsked } from '../pipeline/problems.js';

function when(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, ' UTC');
}

/** A failing file's alert says how to have it tried again once fixed (pipeline/problems.ts). */
function afterTheFix(alert: Alert): string[] {
  if (alert.kind === 'cleared' || !triedAgainWhenAsked(alert.conditionId, alert.code)) return [];
  return ['', TRY_AGAIN_NOW];
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
    // A raise replacing another problem of its leg, which gets no "cleared" (replaced.ts).
    ...(alert.replaces ? { replaces: alert.replaces } : {}),
  };
}
