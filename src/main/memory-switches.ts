// Chromium switches that cut the idle tray app's memory (issue 11, defect 7), applied before the
// app is ready. Each was measured with `npm run bench:tray-memory` on the packaged app (PSS
// summed over all its processes, Electron 33.2.1 under Xvfb; figures in the README) and kept
// only because it helped and the window still draws:
//  - no GPU acceleration: a status window needs none; the GPU process then runs only
//    software compositing (about 10 MB less);
//  - the network service inside the browser process: the engine talks to Dropbox through
//    Node's own http, so Chromium's network process served only the window's own pages and
//    cost a whole process (about 28 MB).
// The same switch names exist in Electron 45 (Chromium 140); see the README.
import type { App } from 'electron';

export const MEMORY_SWITCHES: readonly (readonly [string, string?])[] = [
  ['disable-gpu'],
  ['disable-software-rasterizer'],
  ['enable-features', 'NetworkServiceInProcess2'],
];

export function applyMemorySwitches(
  app: Pick<App, 'disableHardwareAcceleration' | 'commandLine' | 'whenReady'>,
  env: NodeJS.ProcessEnv = process.env,
): void {
  app.disableHardwareAcceleration();
  for (const [name, value] of MEMORY_SWITCHES) {
    // A switch given on the command line (by a person debugging) wins over ours.
    if (app.commandLine.hasSwitch(name)) continue;
    if (value === undefined) app.commandLine.appendSwitch(name);
    else app.commandLine.appendSwitch(name, value);
  }
  disableGdkGlUntil(app.whenReady(), env);
}

/**
 * GTK 3, initialised in the main process for the tray and dialogs, probes OpenGL when it opens
 * the X display (to pick visuals for GL areas the app never draws): on a machine with Mesa that
 * loads the GL driver and LLVM into the main process, about 25 MB of PSS (measured: libLLVM's
 * relocated pages alone were 20 MB). `GDK_GL=disable` is GTK's own switch to skip that; Chromium
 * draws the window in its own (GPU or software) compositor, never through GDK's GL. GTK reads
 * the variable once, when it opens the display, which happens before the app is ready; then it
 * is taken out again so programs the app starts (a file manager through xdg-open) get GL as
 * usual. A GDK_GL a person set is left alone.
 */
export function disableGdkGlUntil(ready: Promise<unknown>, env: NodeJS.ProcessEnv): void {
  if (env.GDK_GL !== undefined) return;
  env.GDK_GL = 'disable';
  void ready.then(
    () => delete env.GDK_GL,
    () => delete env.GDK_GL,
  );
}
