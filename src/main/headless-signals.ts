// The headless daemon in the app binary (`rdl-sync --headless run`) must stop on SIGTERM the way
// the plain-node daemon does. Chromium installs its own SIGTERM/SIGINT/SIGHUP handlers while the
// app gets ready, over the ones Node had installed for listeners registered earlier (conf's
// when-exit hooks every signal at import time). Its handler starts Electron's quit, which with no
// window exits at once: the daemon's listeners never ran, so no "stopping", and engine.lock and
// status.json were left behind. Worse, letting that quit through as a JS event would reach
// when-exit, which re-raises the signal after Chromium reset the handler to the default: death.
//
// Node installs its handler when a signal gets its first listener and removes it with the last
// one, so re-adding the current listeners after the app is ready puts Node's handler back on
// top; from then on signals reach the listeners in order, exactly as under plain node.
export const DAEMON_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

export function takeBackSignals(proc: NodeJS.Process = process): void {
  for (const signal of DAEMON_SIGNALS) {
    const listeners = proc.rawListeners(signal) as ((...args: unknown[]) => void)[];
    proc.removeAllListeners(signal);
    // A signal nobody listens to yet is left to Chromium: the daemon's first listener, added
    // later, installs Node's handler over it anyway.
    for (const listener of listeners) proc.on(signal, listener);
  }
}
