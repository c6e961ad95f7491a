// Reusable way to point the real Dropbox SDK at the emulator: the SDK always builds
// https://<host>/<path> URLs, so this fetch sends them to the emulator instead and tells it which
// Dropbox host the request was meant for (X-Dropbox-Host), so wrong-host routes still fail.
import { Dropbox, DropboxAuth } from 'dropbox';

export function emulatorFetch(emulatorUrl: string): typeof fetch {
  const base = emulatorUrl.replace(/\/+$/, '');
  return (input, init) => {
    const original = new URL(
      typeof input === 'string' ? input : input instanceof URL ? input.href : input.url,
    );
    const headers = new Headers(
      init?.headers ?? (input instanceof Request ? input.headers : undefined),
    );
    headers.set('X-Dropbox-Host', original.host);
    return fetch(`${base}${original.pathname}${original.search}`, { ...init, headers });
  };
}

/** A real SDK client that refreshes its own access token from `refreshToken`. */
export function emulatorClient(
  emu: { url: string; appKey: string },
  refreshToken: string,
): { dbx: Dropbox; auth: DropboxAuth } {
  const fetchImpl = emulatorFetch(emu.url);
  const auth = new DropboxAuth({ clientId: emu.appKey, refreshToken, fetch: fetchImpl });
  return { dbx: new Dropbox({ auth, fetch: fetchImpl }), auth };
}
