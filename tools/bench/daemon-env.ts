// The environment the systemd unit (build/rdl-sync.service) gives the daemon. Some of it acts
// only when a process starts (glibc's malloc reads MALLOC_* once), so a benchmark that runs the
// engine in its own process must be started with it to measure what the daemon does.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const UNIT_FILE = fileURLToPath(new URL('../../build/rdl-sync.service', import.meta.url));

/** `Environment=NAME=value` lines of the unit, in order. */
export function unitEnvironment(unit = readFileSync(UNIT_FILE, 'utf8')): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of unit.split('\n')) {
    const m = /^Environment=([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) env[m[1]!] = m[2]!;
  }
  return env;
}

/**
 * The unit's start-up-only variables (glibc's MALLOC_*) this process was not started with; empty
 * when it runs as the daemon does.
 */
export function missingUnitEnvironment(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(unitEnvironment()).filter(
      ([k, v]) => k.startsWith('MALLOC_') && process.env[k] !== v,
    ),
  );
}
