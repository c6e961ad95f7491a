// Alerts to the site's own tooling: runs a program with the alert as JSON on stdin and as
// RDL_ALERT_* environment variables. No shell (the setting is a program path, never a command
// line to interpret). Stopped after the timeout, with everything it started (its process group).
import { stat } from 'node:fs/promises';
import { startCommand, startsHeld } from './command-thread.js';
import { START_HELD_WORDS } from './channel-fix.js';
import { redact } from '../../log/index.js';
import { alertJson } from '../render.js';
import type { Alert, AlertOrigin } from '../types.js';
import type { AlertChannel } from './types.js';

/** What the program printed on stderr, kept for the failure message. */
const STDERR_TAIL = 300;

/**
 * `alertCommand /usr/local/bin/page-me --urgent`: the setting is one program run without a shell,
 * so the whole line is taken as its file name, which is not there. "Could not start (ENOENT)" and
 * "does not exist, install it" sent a person to look for a program that was there. Null unless
 * the line holds a space and its first word is a file.
 */
export async function commandLineWords(program: string): Promise<string | null> {
  const first = program.trim().split(/\s+/)[0] ?? '';
  if (first === program.trim() || !first.startsWith('/')) return null;
  const isFile = await stat(first).then(
    (st) => st.isFile(),
    () => false,
  );
  if (!isFile) return null;
  return `alertCommand is one program, run as it is without a shell, so "${program.trim()}" is taken as a file name, and there is no such file (${first} is there, but arguments cannot be given in this setting): put the command line in a small script and set alertCommand to that script`;
}

export class CommandChannel implements AlertChannel {
  readonly id = 'command' as const;
  readonly label: string;

  constructor(
    private readonly program: string,
    private readonly timeoutMs: number,
  ) {
    this.label = `command ${program}`;
  }

  send(alert: Alert, origin: AlertOrigin): Promise<void> {
    const json = alertJson(alert, origin);
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const [k, v] of Object.entries(json)) {
      env[`RDL_ALERT_${k.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`] = String(v);
    }
    // One start held at a time: each holds a thread and a worker's memory until the disk answers,
    // and alerts are tried again for as long as it does not (about 30 a day).
    if (startsHeld() > 0) return Promise.reject(this.stillHeld());
    return new Promise((resolve, reject) => {
      let started = false;
      // From a worker thread: a start can wait on a card that does not answer (command-thread.ts).
      const run = startCommand(
        {
          program: this.program,
          env,
          stdin: `${JSON.stringify(json)}\n`,
          // Its own process group, so a timeout also stops whatever the program started.
          detached: process.platform !== 'win32',
          stderrTail: STDERR_TAIL,
        },
        (e) => {
          if (e.kind === 'started') {
            started = true;
            return;
          }
          clearTimeout(timer);
          if (e.kind === 'error') {
            const start = `alert command ${this.program} could not start (${e.code})`;
            if (e.code !== 'ENOENT') reject(new Error(start));
            else
              void commandLineWords(this.program).then((words) =>
                reject(new Error(words ? `${start}: ${words}` : start)),
              );
          } else if (e.code === 0) {
            resolve();
          } else {
            const tail = redact(e.stderr.trim().split('\n').slice(-2).join(' / '));
            reject(
              new Error(
                `alert command ${this.program} failed (${e.code === null ? `signal ${e.signal}` : `exit ${e.code}`})${tail ? `: ${tail}` : ''}`,
              ),
            );
          }
        },
      );
      const timer = setTimeout(() => {
        run.abandon();
        reject(started ? this.timedOut() : this.notStarted());
      }, this.timeoutMs);
    });
  }

  private stillHeld(): Error {
    return new Error(
      `alert command ${this.program} was not started: an earlier start is still ${START_HELD_WORDS} (a disk with a file of RDL Sync's open on it, such as a FUSE card, does not answer)`,
    );
  }

  private notStarted(): Error {
    return new Error(
      `alert command ${this.program} did not start in ${Math.round(this.timeoutMs / 1000)} s: its start was ${START_HELD_WORDS} (a disk with a file of RDL Sync's open on it, such as a FUSE card, does not answer); it was given up`,
    );
  }

  private timedOut(): Error {
    return new Error(
      `alert command ${this.program} did not finish in ${Math.round(this.timeoutMs / 1000)} s and was stopped`,
    );
  }
}
