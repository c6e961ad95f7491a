// The engine's alerts as desktop notifications. The policy (when to tell, once per condition,
// reminders, no shared cap) lives in the engine (src/engine/alerts/policy.ts) and is the same for
// the tray and the daemon; this module only words an alert for a notification. Pure:
// notifier.ts shows them.
import { alertHeadline, triedAgainWhenAsked, type Alert } from '../engine/index.js';
import type { TabId } from '../shared/ipc-channels.js';

export interface Notice {
  conditionId: string;
  kind: Alert['kind'];
  title: string;
  body: string;
  /** The window tab a click opens. */
  tab: TabId;
  /** A clear tells good news: no sound. */
  silent: boolean;
}

/**
 * A notification body that shows as written. Linux notification servers that support markup
 * (GNOME Shell, KDE Plasma, dunst) read the body as markup, and Electron passes it as it is: an
 * alert naming a file called `<b>…</b> <a href="…">Reconnect Dropbox</a>.csv` showed that file's
 * markup, a link included (seen in dunst's history). The angle brackets become look-alikes
 * (U+2039/U+203A) there: no tag can form, and a server without markup shows no `&lt;`.
 */
export function notificationText(
  text: string,
  platform: NodeJS.Platform = process.platform,
): string {
  return platform === 'linux' ? text.replace(/</g, '\u2039').replace(/>/g, '\u203a') : text;
}

/**
 * Said after a failing file's alert: its next try may be an hour away, and a person who fixes the
 * cause should know the tray's "Sync now" tries it at once (the email says `rdl-sync sync`).
 */
export const SYNC_NOW_TRIES_AGAIN =
  'Fixed the cause? "Sync now" in the tray menu (after Resume, if paused) tries again at once.';

export function noticeOf(alert: Alert): Notice {
  // A raise reads as a sentence ("RDL Sync needs attention"); a clear or reminder as a label.
  const headline = alertHeadline(alert);
  const title = alert.kind === 'raised' ? `RDL Sync ${headline}` : `RDL Sync: ${headline}`;
  const tryAgain = alert.kind !== 'cleared' && triedAgainWhenAsked(alert.conditionId, alert.code);
  return {
    conditionId: alert.conditionId,
    kind: alert.kind,
    title,
    body: notificationText(tryAgain ? `${alert.sentence} ${SYNC_NOW_TRIES_AGAIN}` : alert.sentence),
    tab: alert.tab,
    silent: alert.kind === 'cleared',
  };
}
