// The window's only way out: the typed API the preload exposes as window.rdl.
import type { IpcResult, RdlApi } from '../shared/ipc.js';

declare global {
  interface Window {
    rdl: RdlApi;
  }
}

export function api(): RdlApi {
  if (!window.rdl) throw new Error('window.rdl is missing: the preload script did not run.');
  return window.rdl;
}

/** Shows an error result in the window's message bar; returns the value or undefined. */
export function valueOr<T>(
  result: IpcResult<T>,
  onError: (message: string) => void,
): T | undefined {
  if (result.ok) return result.value;
  onError(result.error.message);
  return undefined;
}
