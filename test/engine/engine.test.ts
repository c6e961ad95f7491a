// The life of a file, end to end: real folders, real engine, the emulator over HTTP through the SDK.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withHarness, listFilesRel, localHash } from './harness.js';
import { dropboxContentHash } from '../../tools/emulator/index.js';

test('nested, Unicode and spaced paths land at the right remote and SD-card paths, then leave transit', async () => {
  await withHarness({}, async (h) => {
    const files: Record<string, string> = {
      'RDL/USB0/2026-11-24.csv': 'time,temp\n0,21.5\n',
      'cameras/cam 1/Übersicht ☃.jpg': 'fake jpeg bytes',
      'a/b/c/d/e/deep.txt': 'deep',
      'top.csv': '',
    };
    for (const [rel, body] of Object.entries(files)) await h.drop(rel, body);
    const report = await h.engine.runPassNow();
    assert.equal(report.done, 4, JSON.stringify(report));
    for (const [rel, body] of Object.entries(files)) {
      const remote = h.emulator.getFile(`/RDL/site1/${rel}`);
      assert.ok(remote, `missing on Dropbox: ${rel}`);
      assert.equal(remote.pathDisplay, `/RDL/site1/${rel}`);
      assert.equal(remote.contentHash, dropboxContentHash(Buffer.from(body)));
      const archived = path.join(h.archiveDir, ...rel.split('/'));
      assert.equal(await localHash(archived), remote.contentHash);
    }
    assert.deepEqual(await listFilesRel(h.transitDir), []);
    // The logger's own subfolders stay in place.
    assert.ok((await fs.stat(path.join(h.watchDir, 'RDL', 'USB0'))).isDirectory());
    const history = h.engine.queryHistory({});
    assert.equal(history.length, 4);
    assert.ok(
      history.every(
        (r) => r.outcome === 'done' && r.upload.status === 'done' && r.archive.status === 'done',
      ),
    );
    assert.equal(h.engine.getStatus().state, 'idle');
  });
});

test('a name ending in a space (file or folder) syncs as %20 on both legs instead of failing for good', async () => {
  await withHarness({}, async (h) => {
    const body = 'time,temp\n0,21.5\n';
    await h.drop('odd /data.csv ', body);
    const report = await h.engine.runPassNow();
    assert.equal(report.done, 1, JSON.stringify(report));
    const rel = 'odd%20/data.csv%20';
    const remote = h.emulator.getFile(`/RDL/site1/${rel}`);
    assert.ok(remote, `missing on Dropbox: ${h.emulator.listFiles().map((f) => f.pathDisplay)}`);
    assert.equal(remote.contentHash, dropboxContentHash(Buffer.from(body)));
    assert.equal(
      await localHash(path.join(h.archiveDir, 'odd%20', 'data.csv%20')),
      remote.contentHash,
    );
    assert.deepEqual(await listFilesRel(h.transitDir), []);
    assert.deepEqual(h.engine.getStatus().problems, []);
  });
});

test('a file still being written is not staged until it has been stable for stableSeconds', async () => {
  // The test moves the engine's clock instead of sleeping: with real sleeps, a loaded machine
  // that woke the test late could make a file written "600 ms ago" older than stableSeconds by the
  // time the pass looked, and it would be staged. The file's own times are real; only the
  // engine's now moves.
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  await withHarness({ settings: { stableSeconds: 90 }, engine: { clock } }, async (h) => {
    const p = await h.drop('RDL/log.csv', 'line 1\n');
    await h.engine.runPassNow();
    // Still in the watch folder: an empty transit alone would also follow a whole sync.
    assert.deepEqual(await listFilesRel(h.watchDir), ['RDL/log.csv'], 'staged on first sight');
    assert.deepEqual(await listFilesRel(h.transitDir), [], 'staged on first sight');
    await fs.appendFile(p, 'line 2\n');
    offsetMs += 45_000; // half of stableSeconds after the last write
    await h.engine.runPassNow();
    assert.equal(
      h.emulator.getFile('/RDL/site1/RDL/log.csv'),
      undefined,
      'staged while still growing',
    );
    offsetMs += 60_000; // 105 s after the last write
    await h.engine.runPassNow();
    offsetMs += 60_000;
    await h.engine.runPassNow();
    const remote = h.emulator.getFile('/RDL/site1/RDL/log.csv');
    assert.ok(remote, 'never staged once stable');
    assert.equal(remote.contentHash, dropboxContentHash(Buffer.from('line 1\nline 2\n')));
  });
});

test('identical content already on Dropbox and on the card counts as done without new copies', async () => {
  await withHarness({}, async (h) => {
    h.emulator.putFile('/RDL/site1/x.csv', Buffer.from('same'));
    const before = h.emulator.getFile('/RDL/site1/x.csv');
    await fs.writeFile(path.join(h.archiveDir, 'x.csv'), 'same');
    await h.drop('x.csv', 'same');
    const r = await h.engine.runPassNow();
    assert.equal(r.done, 1);
    assert.equal(h.emulator.getFile('/RDL/site1/x.csv')?.rev, before?.rev);
    assert.deepEqual(await listFilesRel(h.archiveDir), ['x.csv']);
    assert.deepEqual(
      h.emulator.listFiles().map((f) => f.pathDisplay),
      ['/RDL/site1/x.csv'],
    );
    const [rec] = h.engine.queryHistory({});
    assert.ok(rec && rec.upload.status === 'done' && rec.upload.alreadyPresent);
  });
});

test('SD card absent: nothing is written under the mount point, files wait, then archive when it returns', async () => {
  await withHarness({}, async (h) => {
    await fs.rm(h.archiveDir, { recursive: true });
    const parentBefore = await fs.readdir(path.dirname(h.archiveDir));
    await h.drop('RDL/a.csv', 'a');
    await h.drop('RDL/b.csv', 'b');
    const r1 = await h.engine.runPassNow();
    assert.equal(r1.done, 0);
    assert.equal(r1.archiveBlocked?.code, 'archive-missing');
    // The transit folder is created by the first pass (under the run lock), nothing else.
    const transitName = path.basename(h.transitDir);
    assert.deepEqual(
      (await fs.readdir(path.dirname(h.archiveDir))).filter((n) => n !== transitName),
      parentBefore.filter((n) => n !== transitName),
      'something was created where the card should be',
    );
    assert.deepEqual(await listFilesRel(h.transitDir), ['RDL/a.csv', 'RDL/b.csv']);
    assert.ok(
      h.emulator.getFile('/RDL/site1/RDL/a.csv'),
      'the upload leg should not wait for the card',
    );
    const status = h.engine.getStatus();
    assert.equal(status.state, 'attention');
    const problem = status.problems.find((p) => p.id === 'archive-missing');
    assert.ok(problem, JSON.stringify(status.problems));
    assert.match(problem.message, /; 2 files wait safely in transit\.$/);
    assert.doesNotMatch(problem.message, /are waiting safely/, 'said once');
    assert.ok(problem.message.includes(h.archiveDir));

    await fs.mkdir(h.archiveDir);
    const r2 = await h.engine.runPassNow();
    assert.equal(r2.done, 2);
    assert.deepEqual(await listFilesRel(h.archiveDir), ['RDL/a.csv', 'RDL/b.csv']);
    assert.equal(h.engine.getStatus().problems.length, 0);
    assert.equal(h.engine.getStatus().state, 'idle');
  });
});

test('Dropbox unreachable: the archive leg goes on, files stay queued, and the backlog drains when it returns', async () => {
  await withHarness({}, async (h) => {
    const good = h.settings.dropboxEndpoint;
    const saved = await h.engine.saveSettings({
      ...h.settings,
      dropboxEndpoint: 'http://127.0.0.1:9',
    });
    assert.ok(saved.ok);
    for (let i = 0; i < 5; i++) await h.drop(`RDL/f${i}.csv`, `row ${i}\n`);
    const r1 = await h.engine.runPassNow();
    assert.equal(r1.done, 0);
    assert.equal(r1.archived, 5, 'archive leg must not wait for Dropbox');
    assert.equal(r1.uploadBlocked?.code, 'offline', JSON.stringify(r1.uploadBlocked));
    // Which failure, and where to look: a refusal points at the firewall and the endpoint.
    assert.match(
      r1.uploadBlocked.message,
      /^Dropbox could not be reached after \d+ attempts: the connection to 127\.0\.0\.1:9 was refused \(ECONNREFUSED\); check the hub's firewall, and the Dropbox endpoint if one is set/,
    );
    assert.equal(h.engine.getStatus().state, 'offline');
    assert.equal((await listFilesRel(h.transitDir)).length, 5);

    assert.ok((await h.engine.saveSettings({ ...h.settings, dropboxEndpoint: good })).ok);
    const r2 = await h.engine.runPassNow();
    assert.equal(r2.done, 5);
    assert.equal(h.emulator.listFiles().length, 5);
    assert.equal(h.engine.getStatus().state, 'idle');
  });
});

test('a file Dropbox refuses fails alone and visibly; the others complete', async () => {
  await withHarness({}, async (h) => {
    await h.drop('RDL/good1.csv', '1');
    await h.drop('RDL/bad\x7fname.csv', 'a DEL character: Dropbox refuses the name');
    await h.drop('RDL/good2.csv', '2');
    const r = await h.engine.runPassNow();
    assert.equal(r.done, 2);
    assert.equal(r.fileFailures, 1);
    assert.deepEqual(await listFilesRel(h.transitDir), ['RDL/bad\x7fname.csv']);
    assert.ok(h.emulator.getFile('/RDL/site1/RDL/good1.csv'));
    assert.ok(h.emulator.getFile('/RDL/site1/RDL/good2.csv'));
    const s = h.engine.getStatus();
    assert.equal(s.counts.failed, 1);
    assert.equal(s.counts.transit, 1);
    // One failure is not yet a problem nor in the history: the sentence itself says which and why.
    assert.equal(s.state, 'idle');
    assert.deepEqual(s.problems, []);
    assert.deepEqual(h.engine.queryHistory({ onlyFailures: true }), []);
    assert.match(
      s.sentence,
      /^RDL\/bad\x7fname\.csv could not be synced yet and will be retried: .*Dropbox/,
      s.sentence,
    );
    assert.doesNotMatch(s.sentence, /see Transfers/, 'Transfers does not list it yet');
  });
});

test('not connected to Dropbox: the error says what to do and files are archived meanwhile', async () => {
  await withHarness({ connect: false }, async (h) => {
    await h.drop('x.csv', 'x');
    const r = await h.engine.runPassNow();
    assert.equal(r.uploadBlocked?.code, 'auth-missing');
    assert.equal(r.archived, 1);
    const s = h.engine.getStatus();
    assert.equal(s.state, 'error');
    assert.match(s.sentence, /connect/i);
  });
});

test('revoked refresh token: reconnect needed, nothing lost', async () => {
  await withHarness({}, async (h) => {
    await h.drop('a.csv', 'a');
    assert.equal((await h.engine.runPassNow()).done, 1);
    const creds = JSON.parse(
      await fs.readFile(path.join(h.configDir, 'credentials.json'), 'utf8'),
    ) as { refreshToken: string };
    h.emulator.revokeRefreshToken(creds.refreshToken);
    h.emulator.expireAccessTokens({ afterCalls: 0 });
    await h.drop('b.csv', 'b');
    const r = await h.engine.runPassNow();
    assert.equal(r.uploadBlocked?.code, 'auth-revoked');
    const s = h.engine.getStatus();
    assert.equal(s.state, 'error');
    assert.ok(s.problems.some((p) => p.id === 'auth-revoked' && /reconnect/i.test(p.message)));
    assert.deepEqual(await listFilesRel(h.transitDir), ['b.csv']);
    assert.ok(!JSON.stringify(s).includes(creds.refreshToken), 'token leaked into the status');
  });
});

test('pause persists across restarts and resume runs again', async () => {
  await withHarness({}, async (h) => {
    await h.engine.pause(null);
    assert.equal(h.engine.getStatus().state, 'paused');
    await h.engine.stop();
    const { createEngine } = await import('../../src/engine/engine.js');
    const again = await createEngine({ configDir: h.configDir, home: h.root });
    try {
      assert.equal(again.getStatus().paused, true);
      await again.resume();
      assert.equal(again.getStatus().paused, false);
    } finally {
      await again.stop();
    }
  });
});

test('invalid settings are refused with the field named, and nothing is saved', async () => {
  await withHarness({}, async (h) => {
    const before = await fs.readFile(path.join(h.configDir, 'config.json'), 'utf8');
    const r = await h.engine.saveSettings({
      ...h.settings,
      chunkSizeMiB: 6,
      scheduleMode: 'cron',
      cron: 'not a cron',
    });
    assert.equal(r.ok, false);
    if (!r.ok)
      assert.ok(
        r.issues.some((i) => i.field === 'chunkSizeMiB' && /multiple of 4/.test(i.message)),
        JSON.stringify(r.issues),
      );
    assert.equal(await fs.readFile(path.join(h.configDir, 'config.json'), 'utf8'), before);
    const cron = await h.engine.saveSettings({
      ...h.settings,
      scheduleMode: 'cron',
      cron: 'not a cron',
    });
    assert.equal(cron.ok, false);
    if (!cron.ok) assert.equal(cron.issues[0]?.field, 'cron');
  });
});

test('remote path preview follows unsaved settings', async () => {
  await withHarness({}, async (h) => {
    const p = h.engine.previewRemotePath(
      { site: 'Lake', remoteRootTemplate: '/Professional/WIRED/{site}' },
      'RDL/USB0/2026-11-24.csv',
    );
    assert.deepEqual(p, { ok: true, path: '/Professional/WIRED/Lake/RDL/USB0/2026-11-24.csv' });
    const bad = h.engine.previewRemotePath({ remoteRootTemplate: '/x/{nope}' }, 'a.csv');
    assert.equal(bad.ok, false);
  });
});

test('offline for longer than offlineAlertMinutes raises one problem, cleared when Dropbox is back', async () => {
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  await withHarness({ settings: { offlineAlertMinutes: 1 }, engine: { clock } }, async (h) => {
    const good = h.settings.dropboxEndpoint;
    assert.ok(
      (await h.engine.saveSettings({ ...h.settings, dropboxEndpoint: 'http://127.0.0.1:9' })).ok,
    );
    await h.drop('a.csv', 'a');
    await h.engine.runPassNow();
    let s = h.engine.getStatus();
    assert.equal(s.state, 'offline');
    assert.equal(
      s.problems.some((p) => p.id === 'offline'),
      false,
      'alerted before the grace period',
    );
    offsetMs += 61_000;
    await h.engine.runPassNow();
    s = h.engine.getStatus();
    const offline = s.problems.find((p) => p.id === 'offline');
    assert.ok(offline, JSON.stringify(s.problems));
    assert.match(offline.message, /unreachable for 6\d s/, 'a minute and a bit, in seconds');
    // The harness archives to a plain folder (archiveMustBeMountPoint off): no SD card to name.
    assert.match(offline.message, /the copy to the archive folder continues/);
    assert.ok((await h.engine.saveSettings({ ...h.settings, dropboxEndpoint: good })).ok);
    await h.engine.runPassNow();
    s = h.engine.getStatus();
    assert.equal(
      s.problems.some((p) => p.id === 'offline'),
      false,
    );
    assert.equal(s.state, 'idle');
  });
});

test('a file that keeps failing is retried with growing delays, then shown as a problem and in history', async () => {
  let offsetMs = 0;
  const clock = {
    now: () => Date.now() + offsetMs,
    sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 20))),
  };
  await withHarness({ engine: { clock } }, async (h) => {
    await h.drop('RDL/bad\x7f.csv', 'a DEL character: Dropbox refuses the name');
    const attempts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await h.engine.runPassNow();
      attempts.push(r.fileFailures);
      offsetMs += 10_000; // not enough for the retry delay after the first failure (30 s)
      const again = await h.engine.runPassNow();
      assert.equal(again.fileFailures, 0, 'retried before its delay');
      offsetMs += 5 * 60_000;
    }
    assert.deepEqual(attempts, [1, 1, 1, 1]);
    const s = h.engine.getStatus();
    const problem = s.problems.find((p) => p.id === 'file-failing:RDL/bad\x7f.csv');
    assert.ok(problem, JSON.stringify(s.problems));
    // Four passes failed it: the problem says so (it used to keep the count of its first raise).
    assert.match(problem.message, /failed 4 times/);
    assert.equal(problem.tab, 'transfers');
    const failures = h.engine.queryHistory({ onlyFailures: true });
    assert.equal(failures.length, 1, 'one failed record, not one per attempt');
    assert.equal(failures[0]?.upload.status, 'failed');
    assert.equal(
      failures[0]?.archive.status,
      'done',
      'the SD-card leg is not held back by the upload failure',
    );
  });
});

test('one engine syncs a configuration at a time; a lock left by a dead process is taken over', async () => {
  await withHarness({}, async (h) => {
    await h.engine.start();
    const { createEngine } = await import('../../src/engine/engine.js');
    const second = await createEngine({ configDir: h.configDir, home: h.root });
    try {
      await assert.rejects(second.runPassNow(), (e: Error) => {
        assert.match(
          e.message,
          new RegExp(`Another RDL Sync \\(pid ${process.pid}\\) is already syncing`),
        );
        return true;
      });
      await second.pause(null); // pause/resume/status work beside the running engine
      await h.engine.stop();
      await fs.writeFile(path.join(h.configDir, 'engine.lock'), '999999999'); // a pid that is gone
      await second.resume();
      const r = await second.runPassNow();
      assert.equal(r.aborted, false);
      await assert.rejects(
        fs.stat(path.join(h.configDir, 'engine.lock')),
        'lock not released after the pass',
      );
    } finally {
      await second.stop();
    }
  });
});

test('stop() while a runPassNow pass runs: a scheduled pass waiting behind it never begins', async () => {
  await withHarness({ settings: { intervalSeconds: 3600 } }, async (h) => {
    await h.engine.start();
    for (let i = 0; i < 500 && h.engine.getStatus().lastPassMs === null; i++)
      await new Promise((resolve) => setTimeout(resolve, 10));
    assert.notEqual(h.engine.getStatus().lastPassMs, null, 'the first scheduled pass ended');
    for (let i = 0; i < 20; i++) await h.drop(`RDL/USB0/f${i}.csv`, 'x'.repeat(1000));
    // Passes that ended, whole or cut short by the stop (a pass cut short is not the "last
    // pass", so its end is counted from passRunning).
    let finished = 0;
    let running = h.engine.getStatus().passRunning === true;
    h.engine.onStatus((s) => {
      if (running && !s.passRunning) finished++;
      running = s.passRunning === true;
    });
    const asked = h.engine.runPassNow();
    h.engine.syncNow(); // the scheduler's pass, in turn behind the one asked for
    await new Promise((resolve) => setTimeout(resolve, 2));
    await h.engine.stop();
    await asked.catch(() => undefined);
    assert.equal(finished, 1, 'a pass ran after stop()');
  });
});
