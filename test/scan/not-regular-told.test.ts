// Symbolic links and special files in the watch folder are not synced (DESIGN: links are never
// followed), and that was said only by a debug line nobody's log holds: a logger's file reached
// through a link from outside the tree was never synced, silently (adversarial-files trial). Now
// each is said once in the log, by name, at info level; a second scan says nothing new.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { StabilityScanner } from '../../src/engine/scan/index.js';
import { removeDir, tempDir } from '../archive/helpers.js';

test('links and special files in the watch folder are said once each in the log, by name', async () => {
  const base = await tempDir('rdl-not-regular-');
  try {
    const watch = join(base, 'watch');
    await mkdir(join(watch, 'RDL'), { recursive: true });
    await writeFile(join(base, 'outside.csv'), 'a,b\n');
    await symlink(join(base, 'outside.csv'), join(watch, 'RDL', 'latest.csv'));
    execFileSync('mkfifo', [join(watch, 'RDL', 'pipe')]);
    await writeFile(join(watch, 'RDL', 'real.csv'), 'c,d\n');
    const lines: string[] = [];
    const log = (level: string) => (m: string, f?: Record<string, unknown>) =>
      lines.push(`${level} ${m} ${JSON.stringify(f ?? {})}`);
    const scanner = new StabilityScanner({
      watchDir: watch,
      stableSeconds: 0,
      ignorePatterns: [],
      logger: { debug: () => {}, info: log('info'), warn: log('warn'), error: log('error') },
    });
    const first = await scanner.scan();
    assert.deepEqual(
      first.stable.map((f) => f.rel),
      ['RDL/real.csv'],
    );
    await scanner.scan();
    assert.deepEqual(lines.sort(), [
      'info not synced: a symbolic link (RDL Sync syncs the files themselves, never follows a link) {"rel":"RDL/latest.csv"}',
      'info not synced: not a regular file (a FIFO, socket or device) {"rel":"RDL/pipe"}',
    ]);
  } finally {
    await removeDir(base);
  }
});
