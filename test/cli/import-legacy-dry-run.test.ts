// `rdl-sync import-legacy --dry-run` writes nothing at all: no settings folder, no log file (user
// trial: run as root it left /root/.config/rdl-sync/logs/rdl-sync.log with a "Setup needed" line),
// and as root on the hub user's folder it says what would be saved, not what was.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './cli-harness.js';
import { olderPlainHub } from '../legacy/fixtures.js';
import { NOBODY } from '../stage/unprivileged.js';

test('a dry run makes no settings folder and no log, and as root on another user’s hub says "would be saved"', async (t) => {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cli-legacy-dry-'));
  try {
    const hub = await olderPlainHub(path.join(base, 'home', 'x', 'SHELF3'));
    const asRoot = process.getuid?.() === 0;
    // The trial's hub: another user's folder (root can hand it to nobody), no uploader config.
    if (asRoot) await fs.chown(hub.root, NOBODY, NOBODY);
    const home = path.join(base, 'root-home');
    const configDir = path.join(base, 'settings');

    const r = await runCli(
      ['import-legacy', '--root', hub.root, '--dry-run', '--config-dir', configDir],
      { home },
    );
    t.diagnostic(r.stdout);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^Would change in .*config\.json \(--dry-run: nothing saved\):$/m);
    await assert.rejects(fs.access(configDir), 'a dry run makes no settings folder (nor a log)');
    await assert.rejects(fs.access(path.join(home, '.config')), 'nor one in the home folder');

    if (!asRoot) return t.skip('not root: the import-as-root warning is not given');
    assert.match(
      r.stdout,
      new RegExp(
        `^! You ran the import as root, but ${hub.root} belongs to nobody: these settings would be saved for root, .* Run it as nobody: sudo -u nobody rdl-sync import-legacy …$`,
        'm',
      ),
    );
    assert.doesNotMatch(r.stdout, /were saved|Dropbox connection/);
  } finally {
    await fs.rm(base, { recursive: true, force: true });
  }
});
