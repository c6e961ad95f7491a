// `import-legacy --remote-root /Professional/WIRED` (the folder above the sites, as a technician
// reads the old uploader's /Professional/WIRED/<SITE>) was taken without a word: every file would
// have gone straight into the shared folder, mixed with every other site's, and not where the
// researchers read this site (WORKLOAD.md: the old syncer's "wrong remote path on a new site").
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runCli } from './cli-harness.js';
import { currentPiHub } from '../legacy/fixtures.js';

test('--remote-root without {site} is said, with the command that keeps the site folder', async () => {
  const base = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-cli-legacy-remote-'));
  try {
    const hub = await currentPiHub(path.join(base, 'home', 'pi', 'SHELF3'));
    const env = { home: path.join(base, 'home', 'pi') };
    const run = (...extra: string[]) =>
      runCli(
        ['import-legacy', '--root', hub.root, ...extra, '--config-dir', path.join(base, 's')],
        env,
      );

    const shared = await run('--remote-root', '/Professional/WIRED', '--dry-run');
    assert.equal(shared.code, 0, shared.stdout + shared.stderr);
    assert.match(
      shared.stdout,
      /^! --remote-root \/Professional\/WIRED names no \{site\}: this hub's files go straight into \/Professional\/WIRED, not into \/Professional\/WIRED\/Site3_Lakeshore as the old uploader put them, .* To keep the site's own folder: --remote-root '\/Professional\/WIRED\/\{site\}'$/m,
    );

    // Per site (the default, or given with {site} or {host}): nothing to say.
    for (const extra of [
      [],
      ['--remote-root', '/Lab/{site}/{year}'],
      ['--remote-root', '/Lab/{host}'],
    ]) {
      const r = await run(...extra, '--dry-run');
      assert.equal(r.code, 0, r.stdout + r.stderr);
      assert.doesNotMatch(r.stdout, /names no \{site\}/, r.stdout);
    }
  } finally {
    await fs.rm(base, { recursive: true, force: true });
  }
});
