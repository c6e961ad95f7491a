// Is there anything on this desktop that shows a tray icon? Electron creates a Tray whether or
// not a host exists, and on a desktop without one (GNOME without the AppIndicator extension, a
// bare window manager) an app that lives in the tray is lost once its window closes. Two kinds
// of host exist on Linux, and Chromium uses whichever is there:
//  - StatusNotifierItem: the D-Bus service org.kde.StatusNotifierWatcher says a host is
//    registered (KDE, XFCE's and LXQt's panels, GNOME with AppIndicator);
//  - XEmbed: some client owns the X selection _NET_SYSTEM_TRAY_S<screen> (trayer, stalonetray,
//    older panels, LXDE on Raspberry Pi OS).
// Both are asked directly (D-Bus through dbus-send, X through a few requests of the core
// protocol on the display's socket), with short deadlines, so a hung bus cannot stall start-up.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export type TrayHostKind = 'statusnotifier' | 'xembed' | 'native';

export interface TrayHostReport {
  /** Which host will show the icon, or null when nothing will. */
  host: TrayHostKind | null;
  /** One line per kind looked for, for the log (what was found, or why not). */
  checks: string[];
}

const DEADLINE_MS = 2_000;

export async function detectTrayHost(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<TrayHostReport> {
  // Windows' notification area and macOS' menu bar are always there.
  if (platform !== 'linux') return { host: 'native', checks: [] };
  const checks: string[] = [];
  const sni = await statusNotifierHost(env).catch((e: unknown) => errorText(e));
  checks.push(`StatusNotifier: ${sni === true ? 'a host is registered' : sni}`);
  if (sni === true) return { host: 'statusnotifier', checks };
  const xembed = await xembedTrayOwner(env).catch((e: unknown) => errorText(e));
  checks.push(`XEmbed: ${xembed === true ? 'the system tray selection has an owner' : xembed}`);
  return { host: xembed === true ? 'xembed' : null, checks };
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** true, or why not (a sentence). */
function statusNotifierHost(env: NodeJS.ProcessEnv): Promise<true | string> {
  if (!env.DBUS_SESSION_BUS_ADDRESS && !env.XDG_RUNTIME_DIR)
    return Promise.resolve('no D-Bus session bus');
  return new Promise((resolve) => {
    execFile(
      'dbus-send',
      [
        '--session',
        '--print-reply=literal',
        `--reply-timeout=${DEADLINE_MS}`,
        '--dest=org.kde.StatusNotifierWatcher',
        '/StatusNotifierWatcher',
        'org.freedesktop.DBus.Properties.Get',
        'string:org.kde.StatusNotifierWatcher',
        'string:IsStatusNotifierHostRegistered',
      ],
      { env, timeout: DEADLINE_MS + 500 },
      (error, stdout, stderr) => {
        if (!error) {
          resolve(/\btrue\b/.test(stdout) ? true : 'the watcher runs but no host is registered');
          return;
        }
        if ((error as NodeJS.ErrnoException).code === 'ENOENT')
          resolve('dbus-send is not installed, so the session bus was not asked');
        else if (/ServiceUnknown|NameHasNoOwner|was not provided/.test(stderr))
          resolve('no org.kde.StatusNotifierWatcher on the session bus');
        else resolve(`the session bus did not answer (${stderr.trim() || error.message})`);
      },
    );
  });
}

interface DisplayAddress {
  /** What net.connect takes: a unix socket path or host and port. */
  connect: net.NetConnectOpts[];
  number: string;
  screen: number;
}

/** ":0", ":0.1", "unix:0", "host:0" (TCP 6000+n). */
export function parseDisplay(display: string): DisplayAddress | null {
  const m = /^(?:([^:]*)\/)?([^:]*):(\d+)(?:\.(\d+))?$/.exec(display);
  if (!m) return null;
  const host = m[2] ?? '';
  const number = m[3]!;
  const screen = Number(m[4] ?? 0);
  const socket = `/tmp/.X11-unix/X${number}`;
  const connect: net.NetConnectOpts[] =
    host === '' || host === 'unix'
      ? // The abstract socket first (what X servers on Linux listen on), then the file.
        [{ path: `\0${socket}` }, { path: socket }]
      : [{ host, port: 6000 + Number(number) }];
  return { connect, number, screen };
}

/** The MIT-MAGIC-COOKIE-1 for this display from ~/.Xauthority (or $XAUTHORITY), if any. */
export function xauthCookie(
  file: string,
  displayNumber: string,
  hostname = os.hostname(),
): { name: string; data: Buffer } | null {
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch {
    return null;
  }
  const FAMILY_LOCAL = 256;
  const FAMILY_WILD = 65535;
  let at = 0;
  const field = (): Buffer => {
    const len = buf.readUInt16BE(at);
    const value = buf.subarray(at + 2, at + 2 + len);
    at += 2 + len;
    return value;
  };
  try {
    while (at + 2 <= buf.length) {
      const family = buf.readUInt16BE(at);
      at += 2;
      const address = field().toString('latin1');
      const number = field().toString('latin1');
      const name = field().toString('latin1');
      const data = field();
      const hostMatches =
        family === FAMILY_WILD || (family === FAMILY_LOCAL && address === hostname);
      if (
        hostMatches &&
        (number === displayNumber || number === '') &&
        name === 'MIT-MAGIC-COOKIE-1'
      )
        return { name, data: Buffer.from(data) };
    }
  } catch {
    // a truncated file: no cookie
  }
  return null;
}

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

function setupRequest(auth: { name: string; data: Buffer } | null): Buffer {
  const name = Buffer.from(auth?.name ?? '', 'latin1');
  const data = auth?.data ?? Buffer.alloc(0);
  const head = Buffer.alloc(12);
  head.write('l', 0, 'latin1'); // little-endian
  head.writeUInt16LE(11, 2);
  head.writeUInt16LE(0, 4);
  head.writeUInt16LE(name.length, 6);
  head.writeUInt16LE(data.length, 8);
  return Buffer.concat([
    head,
    name,
    Buffer.alloc(pad4(name.length)),
    data,
    Buffer.alloc(pad4(data.length)),
  ]);
}

function internAtomRequest(atomName: string, onlyIfExists = true): Buffer {
  const name = Buffer.from(atomName, 'latin1');
  const req = Buffer.alloc(8 + name.length + pad4(name.length));
  req.writeUInt8(16, 0); // InternAtom
  req.writeUInt8(onlyIfExists ? 1 : 0, 1); // the check never creates the atom just by asking
  req.writeUInt16LE(req.length / 4, 2);
  req.writeUInt16LE(name.length, 4);
  name.copy(req, 8);
  return req;
}

function getSelectionOwnerRequest(atom: number): Buffer {
  const req = Buffer.alloc(8);
  req.writeUInt8(23, 0); // GetSelectionOwner
  req.writeUInt16LE(2, 2);
  req.writeUInt32LE(atom, 4);
  return req;
}

/** Reads the X server's answers in order: the setup reply, then 32-byte replies. */
class XReader {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private failure: Error | null = null;

  constructor(socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buf = Buffer.concat([this.buf, chunk]);
      this.waiter?.();
    });
    socket.on('error', (e) => this.fail(e));
    socket.on('close', () => this.fail(new Error('the X server closed the connection')));
  }

  private fail(e: Error): void {
    this.failure ??= e;
    this.waiter?.();
  }

  async take(n: number): Promise<Buffer> {
    while (this.buf.length < n) {
      if (this.failure) throw this.failure;
      await new Promise<void>((resolve) => (this.waiter = resolve));
      this.waiter = null;
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** The next reply (1) or error (0); events (which we never select) are skipped. */
  async reply(): Promise<Buffer> {
    for (;;) {
      const head = await this.take(32);
      if (head[0] === 0) throw new Error(`the X server refused a request (error ${head[1]})`);
      if (head[0] === 1) {
        const extra = head.readUInt32LE(4) * 4;
        if (extra > 0) await this.take(extra);
        return head;
      }
    }
  }
}

function connectFirst(options: net.NetConnectOpts[]): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const attempt = (i: number, lastError?: Error): void => {
      const opts = options[i];
      if (!opts) {
        reject(lastError ?? new Error('no way to reach the display'));
        return;
      }
      const socket = net.connect(opts);
      socket.once('connect', () => {
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (e) => {
        socket.destroy();
        attempt(i + 1, e);
      });
    };
    attempt(0);
  });
}

/** A connection to the display, for the length of `use` (with the check's deadline). */
export interface XConnection {
  display: string;
  screen: number;
  /** The atom's number (0: nobody ever interned it and `onlyIfExists`). */
  atom(name: string, onlyIfExists?: boolean): Promise<number>;
  /** Sends a request and waits for its reply. */
  request(req: Buffer): Promise<Buffer>;
  /** Sends a request that has no reply. */
  send(req: Buffer): void;
}

/** The result of `use`, or why the display could not be used (a sentence). */
export async function withX<T>(
  env: NodeJS.ProcessEnv,
  use: (x: XConnection) => Promise<T>,
): Promise<T | string> {
  const display = env.DISPLAY ?? '';
  if (display === '') return 'no X display (DISPLAY is not set)';
  const address = parseDisplay(display);
  if (!address) return `DISPLAY=${display} is not a display name this check understands`;
  const authFile = env.XAUTHORITY || path.join(env.HOME || os.homedir(), '.Xauthority');
  const socket = await connectFirst(address.connect);
  const timer = setTimeout(
    () => socket.destroy(new Error(`the X server did not answer within ${DEADLINE_MS} ms`)),
    DEADLINE_MS,
  );
  try {
    const reader = new XReader(socket);
    socket.write(setupRequest(xauthCookie(authFile, address.number)));
    const head = await reader.take(8);
    const rest = await reader.take(head.readUInt16LE(6) * 4);
    if (head[0] !== 1) {
      const reason = rest.subarray(0, head[1] ?? 0).toString('latin1');
      return `the X server refused the connection (${reason || 'authorization needed'})`;
    }
    const request = async (req: Buffer): Promise<Buffer> => {
      socket.write(req);
      return reader.reply();
    };
    return await use({
      display,
      screen: address.screen,
      atom: async (name, onlyIfExists = true) =>
        (await request(internAtomRequest(name, onlyIfExists))).readUInt32LE(8),
      request,
      send: (req) => void socket.write(req),
    });
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

/** true, or why not (a sentence). */
export async function xembedTrayOwner(env: NodeJS.ProcessEnv): Promise<true | string> {
  return withX(env, async (x): Promise<true | string> => {
    const name = `_NET_SYSTEM_TRAY_S${x.screen}`;
    const atom = await x.atom(name);
    if (atom === 0) return `no client ever claimed ${name} on ${x.display}`;
    const owner = (await x.request(getSelectionOwnerRequest(atom))).readUInt32LE(8);
    return owner !== 0 ? true : `nothing owns ${name} on ${x.display}`;
  });
}
