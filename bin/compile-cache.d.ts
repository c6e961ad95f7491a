// Types for bin/compile-cache.js (plain JavaScript: bin/ ships and runs without a build step).
export function compileCacheDir(
  env?: NodeJS.ProcessEnv,
  platform?: NodeJS.Platform,
  home?: string,
): string;
/** Why the cache must stay off for `dir`, or null when it is safe (see compile-cache.js). */
export function compileCacheRefusal(
  dir: string,
  env?: NodeJS.ProcessEnv,
  euid?: number,
): string | null;
/**
 * status: 'unavailable' (runtime without it), 'refused' (unsafe folder; message says why), else
 * Node's: 'enabled', 'already-enabled', 'disabled', 'failed'.
 */
export function enableCompileCache(): {
  status: string;
  directory?: string;
  message?: string;
};
/** Writes the compiled code so far to the cache now (Node >= 22.10; else nothing). */
export function flushCompileCache(): void;
