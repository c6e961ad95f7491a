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
/**
 * Writes the compiled code so far to the cache now (Node >= 22.10; else nothing), then prunes
 * the folders of runtimes no start has marked for COMPILE_CACHE_MAX_AGE_MS.
 */
export function flushCompileCache(): void;
export const COMPILE_CACHE_MAX_AGE_MS: number;
/** Marks `activeName` in `dir` used now; removes runtime folders not marked for the max age. */
export function pruneCompileCache(dir: string, activeName: string, now?: number): void;
