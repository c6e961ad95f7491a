// Shows the engine's alerts as desktop notifications (worded by notifications.ts); a click
// opens the window on the tab that helps.
import { Notification, dialog } from 'electron';
import type { Alert } from '../engine/index.js';
import type { TabId } from '../shared/ipc-channels.js';
import { noticeOf, notificationText } from './notifications.js';

export class Notifier {
  // Electron drops a notification's click handler if the object is collected; keep them alive.
  private readonly live = new Set<Notification>();

  constructor(
    private readonly iconPath: string,
    private readonly openTab: (tab: TabId) => void,
  ) {}

  /**
   * A one-off message about something the person asked for from the tray that failed (no file
   * manager, a folder that is not there): the tray has no window to show it in. Without a
   * notification service, a message box says it instead.
   */
  tell(title: string, body: string): void {
    if (!Notification.isSupported()) {
      void dialog.showMessageBox({ type: 'warning', title, message: title, detail: body });
      return;
    }
    const n = new Notification({ title, body: notificationText(body), icon: this.iconPath });
    n.on('close', () => this.live.delete(n));
    this.live.add(n);
    n.show();
  }

  show(alert: Alert): void {
    if (!Notification.isSupported()) return;
    const notice = noticeOf(alert);
    const n = new Notification({
      title: notice.title,
      body: notice.body,
      icon: this.iconPath,
      silent: notice.silent,
    });
    n.on('click', () => this.openTab(notice.tab));
    n.on('close', () => this.live.delete(n));
    this.live.add(n);
    n.show();
  }
}
