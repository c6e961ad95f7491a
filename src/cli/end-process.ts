// Ending the process while a call on a card is still out. Node's exit waits for every thread of
// its pool, and a thread held by a card that stopped answering returns only when the card does:
// `systemctl stop` hung until systemd killed the daemon a minute later (the unit marked failed),
// and `once` printed its summary and never ended. Then the process ends by a signal's own action
// instead, at once: the signal that stopped it, or SIGTERM, which systemd counts as a clean stop.
// Nothing is lost by it: the pipeline is safe to abandon at any instant (DESIGN.md).

/**
 * Calls on an archive of this process that have not returned, and alert commands whose start
 * is held (alerts/channels/command-thread.ts): 0 when neither was used.
 */
async function archiveCallsOut(): Promise<number> {
  const [{ archiveCallsOut: out }, { startsHeld }] = await Promise.all([
    import('../engine/archive/card-answers.js'),
    import('../engine/alerts/channels/command-thread.js'),
  ]);
  return out() + startsHeld();
}

/** Ends the process with `code`, or by `signal` while a call on a card is out (see above). */
export async function endProcess(code: number, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if ((await archiveCallsOut()) === 0) process.exit(code);
  endBySignal(signal);
}

/**
 * Ends the process by `signal` if a call on a card is out, and only then; otherwise the process
 * ends as it would (its last writes done).
 */
export async function endIfACardHolds(): Promise<void> {
  if ((await archiveCallsOut()) > 0) endBySignal('SIGTERM');
}

function endBySignal(signal: NodeJS.Signals): void {
  process.stderr.write(
    `rdl-sync: a call on the archive has not returned (its card stopped answering): ending by ${signal} without waiting for it; nothing is lost, files wait in transit\n`,
  );
  // The signal's own action (no handler left): the process ends in the kernel, threads and all.
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}
