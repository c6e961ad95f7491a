// The tab strip, following the WAI-ARIA tabs pattern: one tab in the Tab order (roving
// tabindex), arrow keys / Home / End move between tabs and show them.
import { TABS, type TabId } from '../shared/ipc-channels.js';
import { byId } from './dom.js';

export class Tabs {
  private current: TabId = 'status';
  private readonly listeners = new Set<(tab: TabId) => void>();

  constructor() {
    for (const tab of TABS) {
      const button = this.button(tab);
      button.addEventListener('click', () => this.show(tab));
      button.addEventListener('keydown', (e) => this.onKey(e, tab));
    }
  }

  get active(): TabId {
    return this.current;
  }

  onChange(listener: (tab: TabId) => void): void {
    this.listeners.add(listener);
  }

  show(tab: TabId, focus = false): void {
    for (const t of TABS) {
      const selected = t === tab;
      const button = this.button(t);
      button.setAttribute('aria-selected', String(selected));
      button.tabIndex = selected ? 0 : -1;
      byId(`panel-${t}`).hidden = !selected;
    }
    if (focus) this.button(tab).focus();
    if (tab !== this.current) {
      this.current = tab;
      for (const l of this.listeners) l(tab);
    }
  }

  private onKey(e: KeyboardEvent, from: TabId): void {
    const i = TABS.indexOf(from);
    const next: Record<string, number> = {
      ArrowRight: (i + 1) % TABS.length,
      ArrowLeft: (i - 1 + TABS.length) % TABS.length,
      Home: 0,
      End: TABS.length - 1,
    };
    const target = next[e.key];
    if (target === undefined) return;
    e.preventDefault();
    this.show(TABS[target]!, true);
  }

  private button(tab: TabId): HTMLButtonElement {
    return byId<HTMLButtonElement>(`tab-${tab}`);
  }
}
