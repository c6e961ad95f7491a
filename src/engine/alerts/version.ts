// RDL Sync's version for the digest and heartbeat-like reports: the package.json above this
// module (source checkout, or the packaged app's resources), or 'unknown'.
import fs from 'node:fs';
import path from 'node:path';

let cached: string | null = null;

export function appVersion(): string {
  if (cached !== null) return cached;
  let dir = import.meta.dirname;
  for (let i = 0; i < 6 && dir; i++) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.version) return (cached = pkg.version);
    } catch {
      // not here: one level up
    }
    dir = path.dirname(dir);
  }
  return (cached = 'unknown');
}
