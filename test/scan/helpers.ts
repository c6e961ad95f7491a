import { mkdtemp, rm, mkdir, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import type { Clock } from '../../src/engine/ports.js';

export async function tempDir(prefix = 'rdl-scan-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A clock the test moves by hand; sleep is not used by the scanner. */
export class ManualClock implements Clock {
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  async sleep(ms: number): Promise<void> {
    this.ms += ms;
  }
}

/** Create a file (and its folders) with given content and, optionally, an exact mtime. */
export async function put(
  root: string,
  rel: string,
  content: string | Buffer,
  mtimeMs?: number,
): Promise<string> {
  const p = join(root, ...rel.split('/'));
  await mkdir(dirname(p), { recursive: true });
  await writeFile(p, content);
  if (mtimeMs !== undefined) await utimes(p, mtimeMs / 1000, mtimeMs / 1000);
  return p;
}

/** A real child process holding files open, as a logger does. */
export interface Holder {
  /** Resolves once every file is open. */
  ready: Promise<void>;
  /** Append `tail` to every file (when opened for writing), close them all and exit. */
  finish(tail?: string): Promise<void>;
  /** Kill the child whatever state it is in (for finally blocks). */
  kill(): void;
}

const HOLDER_SCRIPT = `
const fs = require('fs');
const [flags, ...paths] = process.argv.slice(1);
const fds = paths.map((p) => fs.openSync(p, flags));
process.stdout.write('ready\\n');
let buf = '';
process.stdin.on('data', (d) => {
  buf += d;
  const nl = buf.indexOf('\\n');
  if (nl < 0) return;
  const tail = JSON.parse(buf.slice(0, nl));
  for (const fd of fds) {
    if (tail) fs.writeSync(fd, tail);
    fs.closeSync(fd);
  }
  process.stdout.write('closed\\n');
  process.exit(0);
});
`;

/** Waits for `line` on the child's stdout, or fails after `ms` (every wait has a deadline). */
function waitForLine(child: ChildProcess, line: string, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`child did not say ${line} in ${ms} ms`)), ms);
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.split('\n').includes(line)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (!out.split('\n').includes(line))
        reject(new Error(`child exited (${code}) before ${line}`));
    });
  });
}

/** Spawn a node process that opens `paths` with `flags` ('w', 'a', 'r', 'r+') and keeps them open. */
export function holdOpen(paths: string[], flags: string): Holder {
  const child = spawn(process.execPath, ['-e', HOLDER_SCRIPT, flags, ...paths], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const ready = waitForLine(child, 'ready', 20_000);
  return {
    ready,
    async finish(tail = '') {
      const closed = waitForLine(child, 'closed', 20_000);
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.stdin?.write(`${JSON.stringify(tail)}\n`);
      await closed;
      await exited;
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

/** Retry `probe` until it returns a value, with a deadline. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  deadlineMs = 15_000,
  everyMs = 100,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`gave up waiting: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
