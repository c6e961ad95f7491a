// Types for bin/compile-cache.js (plain JavaScript: bin/ ships and runs without a build step).
export function compileCacheDir(
  env?: NodeJS.ProcessEnv,
  platform?: NodeJS.Platform,
  home?: string,
): string;
/** status: 'unavailable' (runtime without it), else Node's: 'enabled', 'already-enabled', 'disabled', 'failed'. */
export function enableCompileCache(): {
  status: string;
  directory?: string;
  message?: string;
};
