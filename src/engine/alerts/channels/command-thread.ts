// Starts the alert command from a worker thread, never from the main thread. Starting a program
// closes, in the new program, every descriptor this process holds (they are all close-on-exec),
// and closing a file on a FUSE file system asks its driver (FLUSH): with a copy open on a FUSE
// card (exfat-fuse, ntfs-3g, fusefat) that had stopped answering, the start waited for the card,
// and Node's spawn waits for the start. From the main thread, that held the whole process: no
// pass, no status, no other alert, until the card came back; the very alert saying the card does
// not answer froze the daemon (found by a test that started a process with a card stopped). Here
// only the worker waits; the main thread keeps the timeout and tells it.
import { Worker } from 'node:worker_threads';

/** What the worker tells the main thread, in order: started (or failed to), then closed. */
export type CommandEvent =
  | { kind: 'started'; pid: number }
  | { kind: 'error'; code: string }
  | { kind: 'closed'; code: number | null; signal: string | null; stderr: string };

export interface CommandStart {
  program: string;
  env: NodeJS.ProcessEnv;
  /** Written to the program's stdin, which is then closed. */
  stdin: string;
  /** Its own process group, so that a timeout stops what it started too. */
  detached: boolean;
  /** How much of the end of its stderr to keep. */
  stderrTail: number;
}

/**
 * The worker's code: plain JavaScript evaluated in the thread (no module to find in a bundle).
 * `abandoned` is set by the main thread when it gave up waiting for the start: a program started
 * after that is stopped at once, with its group, as a timeout would have.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { spawn } = require('node:child_process');
const { program, env, stdin, detached, stderrTail, abandoned } = workerData;
const child = spawn(program, [], { env, stdio: ['pipe', 'ignore', 'pipe'], detached });
if (Atomics.load(abandoned, 0) === 1 && child.pid !== undefined) {
  try { process.kill(detached ? -child.pid : child.pid, 'SIGKILL'); } catch {}
}
let stderr = '';
child.stderr.setEncoding('utf8').on('data', (d) => { stderr = (stderr + d).slice(-stderrTail); });
child.once('spawn', () => parentPort.postMessage({ kind: 'started', pid: child.pid }));
child.once('error', (e) => parentPort.postMessage({ kind: 'error', code: e.code || e.message }));
child.once('close', (code, signal) => parentPort.postMessage({ kind: 'closed', code, signal, stderr }));
child.stdin.on('error', () => {});
child.stdin.end(stdin);
`;

export interface CommandRun {
  /**
   * Stops waiting, and stops the program with its group (started or, once its start returns,
   * by the worker); nothing more is told.
   */
  abandon(): void;
}

/**
 * Starts given up that have not returned: each holds a thread (and its worker's memory) until the
 * disk answers, and keeps the process from exiting (cli/end-process.ts asks).
 */
let held = 0;

export function startsHeld(): number {
  return held;
}

/** Starts `start.program` from a worker thread; `onEvent` hears what happens to it. */
export function startCommand(start: CommandStart, onEvent: (e: CommandEvent) => void): CommandRun {
  const abandoned = new Int32Array(new SharedArrayBuffer(4));
  let pid: number | undefined;
  let given = false;
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { ...start, abandoned },
    // The program's output is its own: nothing of the worker's goes to this process's stdio.
    stdout: true,
    stderr: true,
  });
  // (Unreferenced, the worker keeps no loop alive; an exit still waits for a thread held in the
  // kernel: see `held`.)
  worker.unref();
  let holding = false;
  const released = (): void => {
    if (holding) held--;
    holding = false;
  };
  worker.once('exit', released);
  const stop = (): void => {
    if (pid !== undefined) stopGroup(pid, start.detached);
  };
  worker.on('message', (e: CommandEvent) => {
    if (e.kind === 'started') pid = e.pid;
    if (e.kind !== 'started' || pid !== undefined) released();
    if (given) {
      // Started after the caller gave up (the worker stops it too, if it saw the mark in time).
      if (e.kind === 'started') stop();
      else void worker.terminate();
      return;
    }
    onEvent(e);
    if (e.kind !== 'started') {
      given = true;
      void worker.terminate();
    }
  });
  worker.once('error', (e: Error) => {
    if (given) return;
    given = true;
    onEvent({ kind: 'error', code: e.message });
    void worker.terminate();
  });
  return {
    abandon: () => {
      if (given) return;
      given = true;
      Atomics.store(abandoned, 0, 1);
      if (pid === undefined) {
        holding = true;
        held++;
      }
      stop();
      // Terminating a thread held in the kernel would not end the wait: unstarted, it ends by
      // itself once the start returns (its 'closed' then terminates it).
      if (pid !== undefined) void worker.terminate();
    },
  };
}

/** SIGKILL to the program and, in its own group, everything it started. */
export function stopGroup(pid: number, group: boolean): void {
  try {
    process.kill(group ? -pid : pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
