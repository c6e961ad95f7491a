// RDL Sync running as its own user cannot read another user's /proc/<pid>/fd: a logger running
// as another user that holds its file open for writing is invisible to the open-writers probe
// (counted as a skipped process). One scan used to take such a file at once when its mtime was
// old enough, as if nobody held it: the camera that keeps its CSV open ~60 s with the mtime
// standing still lost the rest of it. A file owned by another user, while some process could not
// be inspected, now needs the two sightings, as on a system without /proc; our own user's files
// still go in one scan. Run as nobody through setpriv, the logger as root.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, chown, utimes } from 'node:fs/promises';
import { join } from 'node:path';
import { holdOpen, put, removeDir, tempDir } from './helpers.js';
import { NOBODY, cannotDropPrivileges, nodeAsNobody } from '../stage/unprivileged.js';

test(
  "another user's file, while some process cannot be inspected, needs two sightings",
  { skip: cannotDropPrivileges() ?? false },
  async () => {
    const base = await tempDir();
    const watch = join(base, 'watch');
    const held = await put(watch, 'camera/held.csv', 'frame 1\n');
    const own = await put(watch, 'USB0/own.csv', 'a,b\n');
    const hour = Date.now() / 1000 - 3600;
    for (const f of [held, own]) await utimes(f, hour, hour);
    await chown(own, NOBODY, NOBODY);
    await chmod(base, 0o755);
    // The logger, as root: the file open for writing, nothing written for an hour.
    const logger = holdOpen([held], 'a');
    try {
      await logger.ready;
      const module = new URL('../../src/engine/scan/index.ts', import.meta.url).pathname;
      const script =
        `const { StabilityScanner } = await import(${JSON.stringify(module)});` +
        `const s = new StabilityScanner({ watchDir: ${JSON.stringify(watch)}, stableSeconds: 5, ignorePatterns: [] });` +
        `const r = await s.scan();` +
        `console.log(JSON.stringify({ stable: r.stable.map((f) => f.rel).sort(), pending: r.pending }));`;
      const r = spawnSync('setpriv', nodeAsNobody('--input-type=module', '-e', script), {
        encoding: 'utf8',
        timeout: 60_000,
        killSignal: 'SIGKILL',
      });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), { stable: ['USB0/own.csv'], pending: 1 });
    } finally {
      logger.kill();
      await removeDir(base);
    }
  },
);
