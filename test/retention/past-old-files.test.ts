// A card whose oldest files Dropbox never had (an old archive, a person's files): retention asks
// Dropbox about MAX_CHECKS_PER_RUN files a run, and every run spent them on the same old files,
// never reaching the newer ones it could delete while the card stayed full. The running service
// now remembers the files found not on Dropbox (for a day), so its next run goes past them; the
// CLI says where a run stopped and lists the kept files in short. Real files, the emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { listFilesRel, startHarness } from '../engine/harness.js';
import { runCli } from '../cli/cli-harness.js';
import { MAX_CHECKS_PER_RUN } from '../../src/engine/retention/retention.js';

const DAY = 86_400_000;
const OLD = MAX_CHECKS_PER_RUN + 50;

test('retention goes past old files not on Dropbox at its next run, and says where a run stopped', async (t) => {
  // Every file 100 bytes; the limit asks for the two newest-but-one's room.
  const total = OLD + 3;
  const h = await startHarness({
    settings: {
      retentionMaxArchiveGiB: ((total - 2) * 100) / 1024 ** 3,
      retentionMinFreePercent: 0,
    },
  });
  try {
    const now = Date.now();
    const old = join(h.archiveDir, 'oldarchive');
    await mkdir(old, { recursive: true });
    for (let i = 0; i < OLD; i++) {
      const p = join(old, `f${String(i).padStart(4, '0')}.txt`);
      await writeFile(p, `${String(i).padStart(99, '0')}\n`);
      const at = (now - 400 * DAY + i * 1000) / 1000;
      await utimes(p, at, at);
    }
    // Newer files on Dropbox and the card: the two older ones may go.
    const synced = ['RDL/USB0/2026-11/a.txt', 'RDL/USB0/2026-11/b.txt', 'RDL/USB0/2026-11/c.txt'];
    for (const [i, rel] of synced.entries()) {
      const body = `${String(i).padStart(99, 'x')}\n`;
      const p = join(h.archiveDir, ...rel.split('/'));
      await mkdir(join(p, '..'), { recursive: true });
      await writeFile(p, body);
      const at = (now - (10 - i) * DAY) / 1000;
      await utimes(p, at, at);
      h.emulator.putFile(`/RDL/site1/${rel}`, Buffer.from(body));
    }

    // The CLI alone (no service): a run stops at the cap, says so, and lists the kept in short.
    const cfg = ['--config-dir', h.configDir];
    const dry = await runCli(['retention', '--dry-run', ...cfg], { home: h.root });
    t.diagnostic(dry.stdout.split('\n').slice(-6).join('\n'));
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^… and 1980 more kept \(--json lists every one\)\.$/m);
    assert.match(
      dry.stdout,
      new RegExp(
        `^Stopped after asking Dropbox about ${MAX_CHECKS_PER_RUN} files, the most one run asks\\.`,
        'm',
      ),
    );
    assert.ok(dry.stdout.split('\n').length < 40, 'thousands of kept lines');

    // The service's runs: the first spends its checks on the old files, the next goes past them.
    const first = await h.engine.runRetention(false);
    assert.equal(first.stoppedAtChecks, MAX_CHECKS_PER_RUN);
    assert.equal(first.removed.length, 0);
    h.emulator.resetStats();
    const second = await h.engine.runRetention(false);
    assert.deepEqual(
      second.removed.map((r) => r.rel),
      synced.slice(0, 2),
    );
    assert.equal(second.stoppedAtChecks, undefined);
    assert.equal(
      h.emulator.stats()['files/get_metadata'],
      50 + 2,
      'only the old files not asked about yet, and the two deleted',
    );
    const left = await listFilesRel(h.archiveDir);
    assert.equal(left.length, OLD + 1);
    assert.ok(left.includes(synced[2]!));
  } finally {
    await h.close();
  }
});
