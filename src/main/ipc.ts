// Connects ipcMain to the dispatcher: one handler per contract channel, each told who sent the
// message. All checks (sender, arguments) happen in ipc-dispatch.ts, tested without Electron.
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import { INVOKE_CHANNELS, invokeChannelName } from '../shared/ipc-channels.js';
import type { Dispatch } from './ipc-dispatch.js';

export function registerIpc(ipcMain: IpcMain, dispatch: Dispatch): () => void {
  for (const channel of INVOKE_CHANNELS) {
    ipcMain.handle(invokeChannelName(channel), (event: IpcMainInvokeEvent, ...args: unknown[]) =>
      dispatch(
        channel,
        { webContentsId: event.sender.id, frameUrl: event.senderFrame?.url ?? '' },
        args,
      ),
    );
  }
  return () => {
    for (const channel of INVOKE_CHANNELS) ipcMain.removeHandler(invokeChannelName(channel));
  };
}
