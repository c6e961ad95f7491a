// Which of the engine's alerts the desktop shows as notifications. The engine's policy decides
// when a condition is told, the same for every channel; a notification is how the desktop reaches
// a person who is not looking at the window. At a first start the person is looking: the window
// opens on the welcome, which asks for the setup and then offers "Connect Dropbox". A notification
// saying "Setup needed" a second after the welcome, and "Dropbox is not connected" a second after
// the folders were saved, only talks over the window's own question. Those two are left to the
// window while it is shown during the setup; started hidden (at login), or with the window closed,
// they are shown as any other.
//
// Left to the window is not dropped: the policy counts a condition as told once (its next word is
// a reminder a day later), so one still standing when the window is hidden, minimized or closed
// (the person left the setup half done) is notified then (`windowLeft`).
//
// The setup is done once the folders are saved and Dropbox is connected: from then on the process
// is like any other, and a later "Disconnect" in Settings is told at once, not when the window is
// next left.
import type { Alert, StatusSnapshot } from '../engine/index.js';

/** The conditions the first-start window asks about itself. */
const ASKED_BY_THE_SETUP = new Set(['setup-needed', 'auth-missing']);

export class NoticeGate {
  /** This process met a first start (no settings yet) and its setup is still under way. */
  private inSetup = false;
  /** Raises left to the window, by condition, until it clears or the window is left. */
  private readonly withheld = new Map<string, Alert>();

  constructor(private readonly windowShown: () => boolean) {}

  /**
   * Every status of the real engine. A first start shows in it even when no alert says so: a
   * setup begun before a restart (the app quit on the welcome, the hub rebooted) was announced by
   * the earlier process, so this one's policy never raises "Setup needed" again.
   */
  observe(status: Pick<StatusSnapshot, 'problems' | 'dropbox'>): void {
    if (status.problems.some((p) => p.code === 'setup-needed')) this.inSetup = true;
    // Both questions answered. Not merely "neither problem shown": saving the folders clears
    // "Setup needed" a moment before "Dropbox is not connected" is raised.
    else if (status.dropbox.connected) this.inSetup = false;
  }

  /** Whether `alert` becomes a desktop notification. */
  shows(alert: Alert): boolean {
    if (alert.code === 'setup-needed') this.inSetup = true;
    const leftToWindow = this.inSetup && ASKED_BY_THE_SETUP.has(alert.code) && this.windowShown();
    // The end of a condition the window asked about is no news, whichever process raised it.
    if (alert.kind === 'cleared') return !this.withheld.delete(alert.conditionId) && !leftToWindow;
    if (!leftToWindow) {
      this.withheld.delete(alert.conditionId);
      return true;
    }
    this.withheld.set(alert.conditionId, alert);
    return false;
  }

  /**
   * The window was hidden, minimized or closed: the conditions left to it that still stand, to be
   * notified now (the person left without answering them). Their "resolved" is then told too.
   */
  windowLeft(): Alert[] {
    const standing = [...this.withheld.values()];
    this.withheld.clear();
    return standing;
  }
}
