// Which of the engine's alerts the desktop shows as notifications. The engine's policy decides
// when a condition is told, the same for every channel; a notification is how the desktop reaches
// a person who is not looking at the window. At a first start the person is looking: the window
// opens on the welcome, which asks for the setup and then offers "Connect Dropbox". A notification
// saying "Setup needed" a second after the welcome, and "Dropbox is not connected" a second after
// the folders were saved, only talks over the window's own question. Those two are left to the
// window while it is shown during the setup; started hidden (at login), or with the window closed,
// they are shown as any other.
import type { Alert } from '../engine/index.js';

/** The conditions the first-start window asks about itself. */
const ASKED_BY_THE_SETUP = new Set(['setup-needed', 'auth-missing']);

export class NoticeGate {
  /** This process met a first start (no settings yet): the setup is under way or done. */
  private inSetup = false;
  /** Conditions whose raise was left to the window: their "resolved" would tell of nothing seen. */
  private readonly withheld = new Set<string>();

  constructor(private readonly windowShown: () => boolean) {}

  /** Whether `alert` becomes a desktop notification. */
  shows(alert: Alert): boolean {
    if (alert.code === 'setup-needed') this.inSetup = true;
    if (alert.kind === 'cleared') return !this.withheld.delete(alert.conditionId);
    if (!this.inSetup || !ASKED_BY_THE_SETUP.has(alert.code) || !this.windowShown()) {
      this.withheld.delete(alert.conditionId);
      return true;
    }
    this.withheld.add(alert.conditionId);
    return false;
  }
}
