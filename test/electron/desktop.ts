// A throwaway desktop for the Electron tests: an X server (Xvfb) on a display number picked at
// random, a private D-Bus session bus, and on request an XEmbed tray host (trayer) and a
// notification daemon (dunst), all Debian's packages (bash scripts/setup.sh installs them).
// Every process is started here and killed by stop(), whatever happened in between.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);
const START_DEADLINE_MS = 15_000;

export interface Desktop {
  /** DISPLAY, DBUS_SESSION_BUS_ADDRESS and a private XDG_RUNTIME_DIR for child processes. */
  env: NodeJS.ProcessEnv;
  display: string;
  /** Runs an X tool (xdotool, xwininfo, dunstctl) on this desktop. */
  run(command: string, args: string[]): Promise<string>;
  /** The same, for tools whose output is binary (xwd). */
  runBinary(command: string, args: string[]): Promise<Buffer>;
  stop(): Promise<void>;
}

export interface DesktopOptions {
  trayHost?: boolean;
  notifications?: boolean;
  /** dunst's theme and timeout; notifications stay on screen until closed by default. */
  dunstConfig?: string;
  /**
   * false: the session bus starts no service on demand (keyring tests, issue 11 defect 3): with
   * gnome-keyring installed, a bus with the standard service folders would start a keyring
   * daemon of its own whenever the app asks for one, outside the test's control.
   */
  activation?: boolean;
}

/** A session bus like the standard one, minus the service folders (nothing started on demand). */
function busConfigWithoutActivation(dir: string): string {
  const file = path.join(dir, 'session-bus.conf');
  fs.writeFileSync(
    file,
    `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`,
  );
  return file;
}

function waitExit(child: ChildProcess, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** SIGTERM, then SIGKILL after a grace period. */
export async function killChild(child: ChildProcess, graceMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  await waitExit(child, graceMs);
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGKILL');
    await waitExit(child, graceMs);
  }
}

/** Reads the first line a child writes to one of its descriptors, with a deadline. */
function firstLine(child: ChildProcess, fd: number, what: string): Promise<string> {
  const stream = child.stdio[fd] as NodeJS.ReadableStream | null;
  if (!stream) throw new Error(`no fd ${fd} for ${what}`);
  return new Promise((resolve, reject) => {
    let buf = '';
    const timer = setTimeout(
      () => reject(new Error(`${what} did not start within ${START_DEADLINE_MS} ms`)),
      START_DEADLINE_MS,
    );
    stream.on('data', (chunk: Buffer) => {
      buf += chunk.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(buf.slice(0, nl).trim());
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code ?? signal}) before it was ready`));
    });
  });
}

/** Polls until check() returns a value, or throws after the deadline. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  deadlineMs = 30_000,
  everyMs = 200,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

async function startXvfb(): Promise<{ xvfb: ChildProcess; display: string }> {
  // A random number well above the ones people use by hand; on a clash (another server holds the
  // lock) Xvfb exits and the next number is tried.
  for (let attempt = 0; attempt < 10; attempt++) {
    const n = 1000 + Math.floor(Math.random() * 50_000);
    const xvfb = spawn(
      'Xvfb',
      [`:${n}`, '-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp', '-noreset'],
      { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] },
    );
    try {
      const reported = await firstLine(xvfb, 3, 'Xvfb');
      return { xvfb, display: `:${reported}` };
    } catch {
      await killChild(xvfb, 500);
    }
  }
  throw new Error('Xvfb did not start on any of 10 random displays (is xvfb installed?)');
}

export async function startDesktop(options: DesktopOptions = {}): Promise<Desktop> {
  const children: ChildProcess[] = [];
  const runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-desktop-'));
  fs.chmodSync(runtimeDir, 0o700);
  const stop = async (): Promise<void> => {
    for (const child of children.reverse()) await killChild(child);
    fs.rmSync(runtimeDir, { recursive: true, force: true });
  };
  try {
    const { xvfb, display } = await startXvfb();
    children.push(xvfb);
    const busKind =
      options.activation === false
        ? [`--config-file=${busConfigWithoutActivation(runtimeDir)}`]
        : ['--session'];
    const bus = spawn('dbus-daemon', [...busKind, '--nofork', '--print-address=1'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(bus);
    const busAddress = await firstLine(bus, 1, 'dbus-daemon');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DISPLAY: display,
      DBUS_SESSION_BUS_ADDRESS: busAddress,
      XDG_RUNTIME_DIR: runtimeDir,
      // No desktop environment: Chromium must not look for GNOME's or KDE's services.
      XDG_CURRENT_DESKTOP: '',
      XDG_SESSION_TYPE: 'x11',
      WAYLAND_DISPLAY: '',
    };
    const run = async (command: string, args: string[]): Promise<string> =>
      (await execFileP(command, args, { env, timeout: 15_000 })).stdout;
    const runBinary = async (command: string, args: string[]): Promise<Buffer> =>
      (
        await execFileP(command, args, {
          env,
          timeout: 15_000,
          encoding: 'buffer',
          maxBuffer: 64 << 20,
        })
      ).stdout;

    if (options.trayHost) {
      const trayer = spawn(
        'trayer',
        ['--edge', 'top', '--align', 'right', '--widthtype', 'request', '--height', '32'],
        { env, stdio: 'ignore' },
      );
      children.push(trayer);
      // trayer owns the XEmbed selection once its window exists.
      await waitFor('the tray host window', async () =>
        (await run('xdotool', ['search', '--classname', 'panel'])).trim(),
      );
    }
    if (options.notifications) {
      const conf = path.join(runtimeDir, 'dunstrc');
      fs.writeFileSync(conf, options.dunstConfig ?? '[global]\n  font = Sans 9\n');
      const dunst = spawn('dunst', ['-config', conf], { env, stdio: 'ignore' });
      children.push(dunst);
      await waitFor('the notification daemon', async () =>
        (await run('dunstctl', ['is-paused'])).trim() === 'false' ? true : null,
      );
    }
    return { env, display, run, runBinary, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** The promise's value, or an error naming what did not happen within the deadline. */
export async function within<T>(what: string, promise: Promise<T>, deadlineMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), deadlineMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
