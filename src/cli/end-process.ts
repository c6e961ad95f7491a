// Ending the process while a call on a card is still out. Node's exit waits for every thread of
// its pool, and a thread held by a card that stopped answering returns only when the card does:
// `systemctl stop` hung until systemd killed the daemon a minute later (the unit marked failed),
// and `once` printed its summary and never ended. Then the process ends by a signal's own action
// instead, at once: the signal that stopped it, or SIGTERM, which systemd counts as a clean stop.
// Nothing is lost by it: the pipeline is safe to abandon at any instant (DESIGN.md). One limit is
// the kernel's: a call the card's driver had already taken when it stopped waits for its answer
// whatever the signal, so the process, ended, is reaped only once the card answers or is pulled
// (its driver ended); calls made after the card stopped let it go at once (hands-on trial).

/**
 * Calls on an archive of this process that have not returned, and alert commands whose start
 * is held (alerts/channels/command-thread.ts): 0 when neither was used.
 */
async function callsHeldOut(): Promise<number> {
  const [{ archiveCallsOut }, { startsHeld }] = await heldCounters();
  return archiveCallsOut() + startsHeld();
}

/** What counts the calls a card holds: loaded only when a command ends with its loop busy. */
function heldCounters() {
  return Promise.all([
    import('../engine/archive/card-answers.js'),
    import('../engine/alerts/channels/command-thread.js'),
  ]);
}

/**
 * A call out on a card that answers returns within moments (a look at its free space beside an
 * interrupted command): only one still out after this long is taken as held by the card.
 */
const GRACE_MS = 2_000;
const GRACE_STEP_MS = 100;

/** Whether calls are still out once the grace has passed. */
async function stillOut(): Promise<boolean> {
  for (let waited = 0; (await callsHeldOut()) > 0; waited += GRACE_STEP_MS) {
    if (waited >= GRACE_MS) return true;
    await new Promise((r) => setTimeout(r, GRACE_STEP_MS));
  }
  return false;
}

/** Ends the process with `code`, or by `signal` while a call on a card is out (see above). */
export async function endProcess(code: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (!(await stillOut())) process.exit(code);
  endBySignal(signal);
}

/**
 * Ends the process by SIGTERM if a call on a card is out, and only then; otherwise the process
 * ends as it would (its last writes done). `say` also takes the line said on stderr (the tray
 * app's log, where a person looks).
 */
export async function endIfACardHolds(say?: (line: string) => void): Promise<void> {
  if (await stillOut()) endBySignal('SIGTERM', say);
}

/**
 * Whether a call on a card has been out this long without returning or moving a byte, or an
 * alert command's start is held: a busy card that answers (a long copy, an fsync) is not that.
 */
async function aCardIsSilent(ms: number): Promise<boolean> {
  const [{ archiveSilentMs }, { startsHeld }] = await heldCounters();
  return startsHeld() > 0 || archiveSilentMs() >= ms;
}

/**
 * The tray app's quit: `stop` (the engine's, which never rejects) is given `maxMs`, cut short
 * once a call on a card has been silent for `silentMs` (its pass waits on the card: up to its
 * 2 min deadline, and nothing it holds is lost by not waiting). Then, with a call still out
 * after the grace, the process ends by SIGTERM's own action (Electron's exit joins the thread
 * pool as Node's does); else the stop is waited for, within what is left of `maxMs`. Resolves
 * when the caller may exit.
 */
export async function stopThenEnd(
  stop: Promise<void>,
  opts: { maxMs: number; silentMs: number; say?: (line: string) => void },
): Promise<void> {
  let done = false;
  void stop.finally(() => (done = true));
  const startedMs = Date.now();
  const left = (): number => opts.maxMs - (Date.now() - startedMs);
  const pause = (ms: number): Promise<void> =>
    new Promise((r) => setTimeout(r, Math.max(0, ms)).unref());
  while (!done && left() > 0) {
    await Promise.race([stop, pause(Math.min(250, left()))]);
    if (!done && (await aCardIsSilent(opts.silentMs))) break;
  }
  if (done) return;
  await endIfACardHolds(opts.say);
  // The calls returned within the grace: the stop's last saves are waited for.
  await Promise.race([stop, pause(left())]);
}

function endBySignal(signal: NodeJS.Signals, say?: (line: string) => void): void {
  const line = `a call on the archive has not returned (its card stopped answering): ending by ${signal} without waiting for it; nothing is lost, files wait in transit`;
  say?.(line);
  process.stderr.write(`rdl-sync: ${line}\n`);
  // The signal's own action: no join of the pool's threads (see the top). A listener added and
  // then taken off leaves the default action (Node restores it with its last listener), over any
  // other handler too: Chromium's, in the app, started a quit that ended in the same join.
  process.on(signal, () => undefined);
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}
