// What the alert policy emits and every channel receives. Plain serialisable data: it is sent
// as JSON (webhook, command hook), rendered as text (email, desktop notification) and kept in
// the alert log that the digest reads.
import type { Problem, ProblemSeverity } from '../status/types.js';
import { problemTitle } from './resolved.js';

/** raised: a condition appeared; cleared: it healed; reminder: still there after a long time. */
export type AlertKind = 'raised' | 'cleared' | 'reminder';

export interface Alert {
  kind: AlertKind;
  /** The condition's stable id, e.g. 'archive-missing' or 'source-silent:RDL/USB0'. */
  conditionId: string;
  code: Problem['code'] | 'test' | 'daemon-stopped';
  /** 'error': syncing is stopped on a leg until a person acts; 'attention': act soon. */
  severity: ProblemSeverity;
  /** One sentence: what is wrong and what to do (for a clear: what healed). */
  sentence: string;
  /** When the condition began (epoch ms). */
  sinceMs: number;
  /** When this alert was emitted (epoch ms). */
  atMs: number;
  /** Which window tab helps (desktop notification clicks open it). */
  tab: Problem['tab'];
  /**
   * A raise only: the conditions of its leg it replaces, which get no "Resolved" (policy.ts,
   * replaced.ts). Kept in the alert log: the next process does not carry them over as open.
   */
  replaces?: string[];
}

/** One channel's outcome of a send (`alert test`, the Settings button). */
export interface ChannelResult {
  /** `secrets`: the alert secrets could not be read (only a test alert says so this way). */
  channel: 'email' | 'webhook' | 'command' | 'secrets';
  /** "email to ops@example.org", "webhook (slack) to hooks.slack.com": never a secret. */
  label: string;
  ok: boolean;
  error?: string;
}

/** Who sends: put in every message so one inbox can serve many hubs. */
export interface AlertOrigin {
  site: string;
  host: string;
}

/** What happened, in a few words: the same for a notification title and a mail subject. */
export function alertHeadline(alert: Alert): string {
  // `alert test` is sent to the people who act on alerts: it must not read as a problem.
  if (alert.code === 'test') return 'test alert, nothing to do';
  if (alert.kind === 'cleared') return 'resolved';
  if (alert.kind === 'reminder') return 'still needs attention';
  return alert.severity === 'error' ? 'needs action now' : 'needs attention';
}

/**
 * A one-line subject/title: the site, the kind, what it is about in words, and the condition. A
 * phone shows the subject alone: "needs attention (archive-missing)" said nothing to most.
 */
export function alertTitle(alert: Alert, origin: AlertOrigin): string {
  const site = origin.site || origin.host;
  const about = alert.code === 'test' ? '' : `: ${problemTitle(alert)}`;
  return `RDL Sync ${site}: ${alertHeadline(alert)}${about} (${alert.conditionId})`;
}
