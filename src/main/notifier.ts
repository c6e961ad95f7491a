// Shows the notices NotificationPolicy decides on as desktop notifications; a click opens the
// window on the tab that helps.
import { Notification, dialog } from 'electron';
import type { StatusSnapshot } from '../engine/index.js';
import type { TabId } from '../shared/ipc-channels.js';
import { NotificationPolicy } from './notifications.js';

export class Notifier {
  private readonly policy = new NotificationPolicy({ now: Date.now });
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
    const n = new Notification({ title, body, icon: this.iconPath });
    n.on('close', () => this.live.delete(n));
    this.live.add(n);
    n.show();
  }

  update(status: StatusSnapshot, offlineAlertMinutes: number): void {
    if (!Notification.isSupported()) return;
    for (const notice of this.policy.update(status, offlineAlertMinutes)) {
      const n = new Notification({
        title: notice.title,
        body: notice.body,
        icon: this.iconPath,
        silent: notice.kind === 'cleared',
      });
      n.on('click', () => this.openTab(notice.tab));
      n.on('close', () => this.live.delete(n));
      this.live.add(n);
      n.show();
    }
  }
}
