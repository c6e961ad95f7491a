// Chromium switches that cut the idle tray app's memory (issue 11, defect 7), applied before the
// app is ready. Each was measured with `npm run bench:tray-memory` on the packaged app (PSS
// summed over all its processes, Electron 33.2.1 under Xvfb; figures in the README) and kept
// only because it helped and the window still draws:
//  - no GPU acceleration: a status window needs none; the GPU process then runs only
//    software compositing (about 10 MB less);
//  - the network service inside the browser process: the engine talks to Dropbox through
//    Node's own http, so Chromium's network process served only the window's file:// pages and
//    cost a whole process (about 28 MB).
// The same switch names exist in Electron 45 (Chromium 140); see the README.
import type { App } from 'electron';

export const MEMORY_SWITCHES: readonly (readonly [string, string?])[] = [
  ['disable-gpu'],
  ['disable-software-rasterizer'],
  ['enable-features', 'NetworkServiceInProcess2'],
];

export function applyMemorySwitches(
  app: Pick<App, 'disableHardwareAcceleration' | 'commandLine'>,
): void {
  app.disableHardwareAcceleration();
  for (const [name, value] of MEMORY_SWITCHES) {
    // A switch given on the command line (by a person debugging) wins over ours.
    if (app.commandLine.hasSwitch(name)) continue;
    if (value === undefined) app.commandLine.appendSwitch(name);
    else app.commandLine.appendSwitch(name, value);
  }
}
