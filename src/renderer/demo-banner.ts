// The banner over every tab while "Try the demo" runs (main/demo-mode.ts): says plainly that the
// files go to a local Dropbox emulator, not the user's Dropbox, and offers the way out.
import type { DemoInfo } from '../shared/ipc.js';
import { h } from './dom.js';

export const DEMO_BANNER_TEXT = 'Demo: files go to a local Dropbox emulator, not your Dropbox';

export class DemoBanner {
  readonly element: HTMLElement;

  constructor(leave: () => void) {
    this.element = h('div', {
      id: 'demo-banner',
      class: 'demo-banner',
      attrs: { role: 'status', hidden: true },
    });
    this.leave = leave;
  }

  private readonly leave: () => void;

  show(info: DemoInfo | null): void {
    if (!info) {
      this.element.hidden = true;
      this.element.replaceChildren();
      return;
    }
    this.element.replaceChildren(
      h('strong', { id: 'demo-banner-text', text: DEMO_BANNER_TEXT }),
      h('span', {
        class: 'desc',
        text: ` (sample files in ${info.watchDir}; removed when you leave)`,
      }),
      h('button', {
        id: 'demo-leave',
        text: 'Leave the demo',
        on: { click: () => this.leave() },
      }),
    );
    this.element.hidden = false;
  }
}
