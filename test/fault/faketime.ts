// libfaketime (Debian's `faketime` package, installed by scripts/setup.sh) under the real daemon:
// it reads its offset from a file on every call, so a test steps the daemon's wall clock mid-run as
// NTP does on a Raspberry Pi, which has no real-time clock. The monotonic clock is left alone.
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/** Debian installs it under the architecture's triplet folder (x86_64-linux-gnu, aarch64-…). */
export function findLibfaketime(): string | null {
  const triplets = existsSync('/usr/lib') ? readdirSync('/usr/lib') : [];
  for (const t of ['', ...triplets]) {
    const p = path.join('/usr/lib', t, 'faketime/libfaketime.so.1');
    if (existsSync(p)) return p;
  }
  return null;
}

export const MISSING_LIBFAKETIME =
  "libfaketime.so.1 is missing: install Debian's faketime package (apt-get install -y faketime; scripts/setup.sh does it)";

/** The child's environment: its wall clock is the real one plus the offset in `offsetFile`. */
export function faketimeEnv(libfaketime: string, offsetFile: string): NodeJS.ProcessEnv {
  return {
    LD_PRELOAD: libfaketime,
    FAKETIME_TIMESTAMP_FILE: offsetFile,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
}
