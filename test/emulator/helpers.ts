// Shared setup for emulator tests: a started emulator with an SDK client, and raw HTTP helpers
// for the malformed requests the SDK would never send.
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
  headers: Headers;
  text: string;
}

/** A raw POST to the emulator (no SDK), for requests the SDK would not produce. */
export async function rawPost(
  emu: Emulator,
  path: string,
  init: { headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<RawAnswer> {
  const res = await fetch(emu.url + path, {
    method: 'POST',
    headers: init.headers,
    body: init.body,
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}
