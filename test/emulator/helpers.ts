// Shared setup for emulator tests: a started emulator with an SDK client, and raw HTTP helpers
// for the malformed requests the SDK would never send.
import { request, type IncomingHttpHeaders } from 'node:http';
import type { Dropbox, DropboxAuth, DropboxResponseError } from 'dropbox';
import { startEmulator, type Emulator, type EmulatorOptions } from '../../tools/emulator/index.js';
import { emulatorClient } from './sdk-client.js';

export interface Harness {
  emu: Emulator;
  dbx: Dropbox;
  auth: DropboxAuth;
  refreshToken: string;
  /** A valid access token for raw requests. */
  accessToken(): Promise<string>;
}

export async function harness(options: EmulatorOptions = {}): Promise<Harness> {
  const emu = await startEmulator(options);
  const refreshToken = emu.issueRefreshToken();
  const { dbx, auth } = emulatorClient(emu, refreshToken);
  return {
    emu,
    dbx,
    auth,
    refreshToken,
    async accessToken() {
      await auth.checkAndRefreshAccessToken();
      return auth.getAccessToken();
    },
  };
}

/** The SDK's rejection, typed; fails the test if the call succeeded. */
export async function sdkError<T = { error_summary: string; error: Record<string, unknown> }>(
  call: Promise<unknown>,
): Promise<DropboxResponseError<T>> {
  try {
    await call;
  } catch (err) {
    if ((err as Error).name === 'DropboxResponseError') return err as DropboxResponseError<T>;
    throw err;
  }
  throw new Error('expected the call to fail, but it succeeded');
}

export interface RawAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/**
 * A raw POST over node:http (no SDK, no fetch), for requests neither would produce: raw UTF-8
 * header bytes, a lying Content-Length, a wrong Content-Type.
 */
export function rawPost(
  emu: Emulator,
  path: string,
  init: { headers?: Record<string, string | number>; body?: string | Buffer } = {},
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request(emu.url + path, { method: 'POST', headers: init.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.setTimeout(10_000, () => req.destroy(new Error('emulator gave no answer within 10 s')));
    req.end(init.body);
  });
}

/** Header value carrying raw UTF-8 bytes (Node sends a latin-1 string byte for byte). */
export function rawUtf8Header(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}
