// The tray icon: redrawn from tray-model.ts on every status event. Holds no state of its own
// beyond the last icon, so a missed event is corrected by the next one.
import {
  Menu,
  Tray,
  nativeImage,
  type MenuItemConstructorOptions,
  type NativeImage,
} from 'electron';
import type { StatusSnapshot } from '../engine/index.js';
import {
  trayIcon,
  trayIconPath,
  trayMenu,
  trayTooltip,
  type TrayAction,
  type TrayIconName,
  type TrayMenuItem,
} from './tray-model.js';

export class TrayController {
  private readonly tray: Tray;
  private readonly icons = new Map<TrayIconName, NativeImage>();
  private currentIcon: TrayIconName | null = null;
  private menuKey = '';

  constructor(
    private readonly assetsDir: string,
    /** Runs a command of main's table (commands.ts); each menu item names one. */
    private readonly fire: (action: TrayAction) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.tray = new Tray(this.icon('idle'));
    // Windows and Linux: a click opens the window; macOS shows the menu on click by itself.
    this.tray.on('click', () => {
      if (process.platform !== 'darwin') fire('openWindow');
    });
  }

  update(status: StatusSnapshot): void {
    const name = trayIcon(status);
    if (name !== this.currentIcon) {
      this.tray.setImage(this.icon(name));
      this.currentIcon = name;
    }
    this.tray.setToolTip(trayTooltip(status, this.now()));
    // Status events come several times a second during transfers; replacing the menu closes it
    // under the pointer of someone choosing an item. Rebuild only when what it shows changed.
    const model = trayMenu(status);
    const key = JSON.stringify(model);
    if (key !== this.menuKey) {
      this.menuKey = key;
      this.tray.setContextMenu(Menu.buildFromTemplate(this.template(model)));
    }
  }

  destroy(): void {
    this.tray.destroy();
  }

  private icon(name: TrayIconName): NativeImage {
    let image = this.icons.get(name);
    if (!image) {
      image = nativeImage.createFromPath(trayIconPath(this.assetsDir, name, process.platform));
      if (process.platform === 'darwin') image.setTemplateImage(true);
      this.icons.set(name, image);
    }
    return image;
  }

  private template(model: TrayMenuItem[]): MenuItemConstructorOptions[] {
    return model.map((item): MenuItemConstructorOptions => {
      switch (item.type) {
        case 'label':
          return { label: item.label, enabled: false };
        case 'separator':
          return { type: 'separator' };
        case 'action':
          return { label: item.label, enabled: item.enabled, click: () => this.fire(item.action) };
      }
    });
  }
}
