// Closes a window the way a window manager's close button does: a WM_DELETE_WINDOW client
// message (ICCCM), which the app may refuse, unlike `xdotool windowclose` (which destroys the
// window under it) or a script's window.close().
import { withX } from '../../src/main/tray-host.js';
import type { Desktop } from './desktop.js';

export async function askWindowToClose(desktop: Desktop, windowId: string): Promise<void> {
  const result = await withX(desktop.env, async (x) => {
    const protocols = await x.atom('WM_PROTOCOLS', false);
    const deleteWindow = await x.atom('WM_DELETE_WINDOW', false);
    const window = Number.parseInt(windowId, windowId.startsWith('0x') ? 16 : 10);
    const req = Buffer.alloc(44);
    req.writeUInt8(25, 0); // SendEvent, no propagation
    req.writeUInt16LE(11, 2);
    req.writeUInt32LE(window, 4);
    req.writeUInt32LE(0, 8); // no event mask: delivered to the window's owner
    req.writeUInt8(33, 12); // ClientMessage
    req.writeUInt8(32, 13); // format: 32-bit data
    req.writeUInt32LE(window, 16);
    req.writeUInt32LE(protocols, 20);
    req.writeUInt32LE(deleteWindow, 24);
    req.writeUInt32LE(0, 28); // CurrentTime
    x.send(req);
    // A round trip (GetInputFocus) so the event was handled by the server before we return.
    const sync = Buffer.alloc(4);
    sync.writeUInt8(43, 0);
    sync.writeUInt16LE(1, 2);
    await x.request(sync);
    return true as const;
  });
  if (result !== true) throw new Error(`could not ask ${windowId} to close: ${result}`);
}
