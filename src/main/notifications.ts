// The engine's alerts as desktop notifications. The policy (when to tell, once per condition,
// reminders, no shared cap) lives in the engine (src/engine/alerts/policy.ts) and is the same for
// the tray and the daemon; this module only words an alert for a notification. Pure:
// notifier.ts shows them.
import { alertHeadline, type Alert } from '../engine/index.js';
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

export function noticeOf(alert: Alert): Notice {
  // A raise reads as a sentence ("RDL Sync needs attention"); a clear or reminder as a label.
  const headline = alertHeadline(alert);
  const title = alert.kind === 'raised' ? `RDL Sync ${headline}` : `RDL Sync: ${headline}`;
  return {
    conditionId: alert.conditionId,
    kind: alert.kind,
    title,
    body: notificationText(alert.sentence),
    tab: alert.tab,
    silent: alert.kind === 'cleared',
  };
}
