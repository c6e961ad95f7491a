// Alerts to the site's own tooling: runs a program with the alert as JSON on stdin and as
// RDL_ALERT_* environment variables. No shell (the setting is a program path, never a command
// line to interpret). Stopped after the timeout, with everything it started (its process group).
import { spawn } from 'node:child_process';
import { redact } from '../../log/index.js';
import { alertJson } from '../render.js';
import type { Alert, AlertOrigin } from '../types.js';
import type { AlertChannel } from './types.js';

/** What the program printed on stderr, kept for the failure message. */
const STDERR_TAIL = 300;

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
    return new Promise((resolve, reject) => {
      const child = spawn(this.program, [], {
        env,
        stdio: ['pipe', 'ignore', 'pipe'],
        // Its own process group, so a timeout also stops whatever the program started.
        detached: process.platform !== 'win32',
      });
      let stderr = '';
      let timedOut = false;
      child.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr = (stderr + d).slice(-STDERR_TAIL);
      });
      const timer = setTimeout(() => {
        timedOut = true;
        killTree(child.pid);
        // A grandchild that left the group could hold stderr open for ever: do not wait for it.
        child.stderr.destroy();
        reject(this.timedOut());
      }, this.timeoutMs);
      child.once('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new Error(`alert command ${this.program} could not start (${e.code ?? e.message})`));
      });
      child.once('close', (code, sig) => {
        clearTimeout(timer);
        if (timedOut) {
          reject(this.timedOut());
        } else if (code === 0) {
          resolve();
        } else {
          const tail = redact(stderr.trim().split('\n').slice(-2).join(' / '));
          reject(
            new Error(
              `alert command ${this.program} failed (${code === null ? `signal ${sig}` : `exit ${code}`})${tail ? `: ${tail}` : ''}`,
            ),
          );
        }
      });
      // A program that does not read its stdin must not fail the alert (EPIPE).
      child.stdin.on('error', () => undefined);
      child.stdin.end(`${JSON.stringify(json)}\n`);
    });
  }

  private timedOut(): Error {
    return new Error(
      `alert command ${this.program} did not finish in ${Math.round(this.timeoutMs / 1000)} s and was stopped`,
    );
  }
}

function killTree(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(process.platform === 'win32' ? pid : -pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
