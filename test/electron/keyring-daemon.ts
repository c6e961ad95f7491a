// A real OS keyring for the tray-app tests (issue 11 defect 3): GNOME Keyring's daemon (Debian's
// gnome-keyring, installed by scripts/setup.sh) serving the Secret Service on the test desktop's
// own session bus, its keyrings in the test's HOME, unlocked with a test password as a login
// would. Looked into from outside with secret-tool (libsecret-tools), the way a person would.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createDecipheriv, pbkdf2Sync } from 'node:crypto';
import { promisify } from 'node:util';
import { killChild, waitFor, type Desktop } from './desktop.js';

const execFileP = promisify(execFile);

/** The libsecret schema Chromium's os_crypt keeps its safeStorage key under. */
export const SAFE_STORAGE_SCHEMA = 'chrome_libsecret_os_crypt_password_v2';

export interface KeyringDaemon {
  /** Environment for children that should find this keyring (the desktop's, with HOME). */
  env: NodeJS.ProcessEnv;
  /** What the daemon printed (checked for secrets by the tests). */
  output(): string;
  /** The safeStorage keys Chromium stored, by their `application` attribute. */
  safeStorageKeys(): Promise<Map<string, string>>;
  stop(): Promise<void>;
}

async function secretServiceOwned(env: NodeJS.ProcessEnv): Promise<boolean> {
  const { stdout } = await execFileP(
    'dbus-send',
    [
      '--session',
      '--print-reply',
      '--dest=org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus.NameHasOwner',
      'string:org.freedesktop.secrets',
    ],
    { env, timeout: 10_000 },
  );
  return /boolean true/.test(stdout);
}

async function defaultCollectionLocked(env: NodeJS.ProcessEnv): Promise<boolean> {
  const { stdout } = await execFileP(
    'dbus-send',
    [
      '--session',
      '--print-reply',
      '--dest=org.freedesktop.secrets',
      '/org/freedesktop/secrets/aliases/default',
      'org.freedesktop.DBus.Properties.Get',
      'string:org.freedesktop.Secret.Collection',
      'string:Locked',
    ],
    { env, timeout: 10_000 },
  );
  return /boolean true/.test(stdout);
}

/**
 * Starts gnome-keyring-daemon (secrets only) on the desktop's bus. With a password it unlocks
 * (creating on first use) the login keyring, the default collection, as a desktop login does;
 * with null it starts locked, as a session whose keyring nobody unlocked.
 */
export async function startKeyring(
  desktop: Desktop,
  home: string,
  password: string | null,
): Promise<KeyringDaemon> {
  const env: NodeJS.ProcessEnv = { ...desktop.env, HOME: home, XDG_DATA_HOME: undefined };
  const args = ['--foreground', '--components=secrets', ...(password !== null ? ['--unlock'] : [])];
  const child: ChildProcess = spawn('gnome-keyring-daemon', args, {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString()));
  // --unlock reads the password from stdin up to its end.
  child.stdin?.end(password ?? '');
  const stop = (): Promise<void> => killChild(child);
  try {
    await waitFor('the keyring on the session bus', async () => {
      if (child.exitCode !== null) throw new Error(`gnome-keyring-daemon exited: ${out}`);
      return secretServiceOwned(env);
    });
    if (password !== null)
      await waitFor(
        'the login keyring unlocked',
        async () => !(await defaultCollectionLocked(env)),
      );
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    env,
    output: () => out,
    async safeStorageKeys() {
      // secret-tool prints each item's attributes on stderr and its secret on stdout.
      const { stdout, stderr } = await execFileP(
        'secret-tool',
        ['search', '--all', '--unlock', 'xdg:schema', SAFE_STORAGE_SCHEMA],
        { env, timeout: 10_000 },
      );
      const keys = new Map<string, string>();
      const items = `${stdout}\n${stderr}`.split(/^\[/m).slice(1);
      for (const item of items) {
        const app = /^attribute\.application = (.*)$/m.exec(item)?.[1];
        const secret = /^secret = (.*)$/m.exec(item)?.[1];
        if (app && secret) keys.set(app, secret);
      }
      return keys;
    },
    stop,
  };
}

/**
 * Decrypts one safeStorage ciphertext with a key read from the keyring, outside Electron:
 * Chromium's Linux os_crypt "v11" format (the key from the keyring through PBKDF2-SHA1 with the
 * salt "saltysalt" and one iteration, AES-128-CBC, an IV of 16 spaces). If this works, the file
 * was encrypted with the keyring's key, not with a fixed one.
 */
export function decryptWithKeyringKey(ciphertext: Buffer, keyringSecret: string): string {
  const prefix = ciphertext.subarray(0, 3).toString('latin1');
  if (prefix !== 'v11') throw new Error(`not a keyring-encrypted safeStorage value (${prefix})`);
  const key = pbkdf2Sync(keyringSecret, 'saltysalt', 1, 16, 'sha1');
  const decipher = createDecipheriv('aes-128-cbc', key, Buffer.alloc(16, ' '));
  return Buffer.concat([decipher.update(ciphertext.subarray(3)), decipher.final()]).toString(
    'utf8',
  );
}
