// `rdl-sync retention --dry-run` on a machine not set up yet said "the archive is off in the
// settings", of an archive that is on (archiveEnabled's default) with no folder chosen yet. It
// names the empty archiveDir and how to set it up; an archive turned off is still said so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../cli/cli-harness.js';

test('retention on a machine not set up names the missing archive folder, not "the archive is off"', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-retention-not-set-up-'));
  try {
    const configDir = path.join(root, 'config');
    const env = { home: root };
    const fresh = await runCli(['retention', '--dry-run', '--config-dir', configDir], env);
    const out = fresh.stdout + fresh.stderr;
    assert.equal(fresh.code, 1, out);
    assert.match(
      out,
      /no archive folder is set \(archiveDir is empty: not set up yet\?\): there is nothing to keep tidy; set it up with rdl-sync import-legacy, or rdl-sync settings set archiveDir DIR/,
    );
    assert.doesNotMatch(out, /archive is off/);

    const off = await runCli(
      ['settings', 'set', 'site', 'S1', 'archiveEnabled', 'false', '--config-dir', configDir],
      env,
    );
    assert.equal(off.code, 0, off.stdout + off.stderr);
    const r = await runCli(['retention', '--dry-run', '--config-dir', configDir], env);
    assert.match(r.stdout + r.stderr, /the archive is off in the settings/);
  } finally {
    await fs.rm(root, { recursive: true, force: true });
  }
});
