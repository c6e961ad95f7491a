// Builds `window.rdl` from the channel list: one named method per contract channel and one
// on<Event> subscription per push event. Takes only the slice of ipcRenderer it needs, so the
// same builder also drives the window in the browser tests (over a test transport).
import {
  EVENT_CHANNELS,
  INVOKE_CHANNELS,
  eventChannelName,
  invokeChannelName,
  subscribeMethodName,
} from '../shared/ipc-channels.js';
import type { EventPayloads, IpcResult, RdlApi } from '../shared/ipc.js';

type Listener = (event: unknown, payload: unknown) => void;

/** The part of Electron's ipcRenderer the API uses. */
export interface IpcTransport {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: Listener): unknown;
  removeListener(channel: string, listener: Listener): unknown;
}

export function buildRdlApi(ipc: IpcTransport): RdlApi {
  const api: Record<string, unknown> = {};
  for (const channel of INVOKE_CHANNELS) {
    api[channel] = async (...args: unknown[]): Promise<IpcResult<unknown>> => {
      try {
        return (await ipc.invoke(invokeChannelName(channel), ...args)) as IpcResult<unknown>;
      } catch (err) {
        // Only transport failures land here (main not answering); handlers answer with ok: false.
        return {
          ok: false,
          error: { code: 'ipc-failed', message: String((err as Error)?.message ?? err) },
        };
      }
    };
  }
  for (const event of EVENT_CHANNELS) {
    api[subscribeMethodName(event)] = (
      listener: (payload: EventPayloads[typeof event]) => void,
    ) => {
      // Never hand the IpcRendererEvent (and its `sender`) to the page: payload only.
      const wrapped: Listener = (_event, payload) =>
        listener(payload as EventPayloads[typeof event]);
      ipc.on(eventChannelName(event), wrapped);
      return () => void ipc.removeListener(eventChannelName(event), wrapped);
    };
  }
  return Object.freeze(api) as unknown as RdlApi;
}
