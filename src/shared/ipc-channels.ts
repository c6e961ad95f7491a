// The names of every IPC channel, with no dependencies, so the sandboxed preload can bundle them
// without pulling in zod. ipc.ts checks at compile time that its contract covers exactly these.

export const INVOKE_CHANNELS = [
  'getStatus',
  'syncNow',
  'pause',
  'resume',
  'queryHistory',
  'getSettings',
  'getSettingsFields',
  'validateSettings',
  'saveSettings',
  'previewRemotePath',
  'connectDropboxStart',
  'openAuthorizeUrl',
  'connectDropboxFinish',
  'disconnectDropbox',
  'importLegacy',
  'pickFolder',
  'pickFile',
  'openPath',
  'readLogTail',
  'getAppInfo',
  'setStartAtLogin',
  'logFromWindow',
  // fleet (issue 10)
  'getActivity',
  'readFleet',
  'sendTestAlert',
  'quitApp',
  'findOldSetups',
] as const;

export type InvokeChannel = (typeof INVOKE_CHANNELS)[number];

/** Pushed from main to the window. */
export const EVENT_CHANNELS = ['status', 'log', 'showTab'] as const;

export type EventChannel = (typeof EVENT_CHANNELS)[number];

export type SubscribeMethod<E extends EventChannel> = `on${Capitalize<E>}`;

/** 'status' -> 'onStatus': the window's subscription method for an event. */
export function subscribeMethodName<E extends EventChannel>(event: E): SubscribeMethod<E> {
  return `on${event.charAt(0).toUpperCase()}${event.slice(1)}` as SubscribeMethod<E>;
}

/** Prefixed so our channels can never collide with Electron's or a library's own. */
export function invokeChannelName(channel: InvokeChannel): string {
  return `rdl:invoke:${channel}`;
}

export function eventChannelName(channel: EventChannel): string {
  return `rdl:event:${channel}`;
}

export function isInvokeChannel(name: string): name is InvokeChannel {
  return (INVOKE_CHANNELS as readonly string[]).includes(name);
}

/** Window tabs; notifications and the tray open the window on one of them. */
export const TABS = ['status', 'transfers', 'fleet', 'settings', 'log'] as const;

export type TabId = (typeof TABS)[number];
