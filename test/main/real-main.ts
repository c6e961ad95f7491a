// Main's real IPC handlers and dispatcher in front of a real engine (a test harness's), as the
// window reaches them: the calls come from the app's own page, the app services are fakes.
import {
  createDispatcher,
  ownWindowSenderCheck,
  type SenderInfo,
} from '../../src/main/ipc-dispatch.js';
import { createIpcHandlers } from '../../src/main/handlers.js';
import { settingsFields } from '../../src/main/settings-fields.js';
import { commandsFor, fakeAppServices, type Recorder } from './fakes.js';
import type { Harness } from '../engine/harness.js';

const PAGE = 'file:///opt/RDL%20Sync/resources/app.asar/dist/renderer/index.html';
/** The window's own page, as main's sender check knows it. */
export const own: SenderInfo = { webContentsId: 7, frameUrl: `${PAGE}#settings` };

export function mainFor(h: Harness) {
  const rec: Recorder = { calls: [] };
  const app = fakeAppServices(rec);
  const handlers = createIpcHandlers(
    h.engine,
    app,
    settingsFields,
    commandsFor(h.engine, app, (c) => rec.calls.push(c)),
  );
  return createDispatcher(
    handlers,
    ownWindowSenderCheck(() => [7], PAGE),
    {
      redact: (t) => t,
      onRejected: () => {},
    },
  );
}
