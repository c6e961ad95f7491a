// Runs in the test browser before the page (as Electron's preload would): builds window.rdl
// with the real preload API builder, over a transport that forwards to the test process.
import { buildRdlApi, type IpcTransport } from '../../src/preload/api.js';

type Listener = (event: unknown, payload: unknown) => void;

interface BridgeWindow {
  __rdlInvoke(channel: string, args: unknown[]): Promise<unknown>;
  __rdlDeliver(channel: string, payload: unknown): void;
  rdl: unknown;
}

const w = window as unknown as BridgeWindow;
const listeners = new Map<string, Set<Listener>>();

const transport: IpcTransport = {
  invoke: (channel, ...args) => w.__rdlInvoke(channel, args),
  on: (channel, listener) =>
    listeners.set(channel, (listeners.get(channel) ?? new Set()).add(listener)),
  removeListener: (channel, listener) => listeners.get(channel)?.delete(listener),
};

w.__rdlDeliver = (channel, payload) => {
  for (const l of listeners.get(channel) ?? []) l(null, payload);
};
w.rdl = buildRdlApi(transport);
