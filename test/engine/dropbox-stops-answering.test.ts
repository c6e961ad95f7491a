// Dropbox that stops answering mid-upload, as the status and the log tell it. In a user trial
// (the daemon against the emulator, stopped with SIGSTOP during a 30 MB upload) `rdl-sync status`
// said "running now", connected, no problem, and the log nothing, for about 4 minutes: the
// request was given up after twice its 2-minute idle time, and the offline status said no cause
// when it came ("Dropbox is unreachable; retrying."). Now the pass ends after the idle time,
// the status names the silence and its length, the log has one line when Dropbox becomes
// unreachable and one when it answers again, and the file goes by itself once it answers. The
// real engine, the emulator through the real SDK behind a relay that stops reading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withHarness } from './harness.js';
import { Relay } from '../dropbox/tcp-relay.js';
import { RecordingLogger, pattern } from '../dropbox/helpers.js';

const IDLE_MS = 1_000;
const MiB = 1024 * 1024;

test('Dropbox that stops answering mid-upload: offline after the idle time with the silence named, logged once each way, and the file goes once it answers', async () => {
  const logger = new RecordingLogger();
  await withHarness(
    { engine: { logger, dropboxIdleMs: IDLE_MS }, settings: { intervalSeconds: 86_400 } },
    async (h) => {
      const relay = new Relay(Number(new URL(h.settings.dropboxEndpoint).port));
      await relay.open();
      try {
        const endpoint = `http://127.0.0.1:${relay.port}`;
        const saved = await h.engine.saveSettings({
          ...h.engine.getSettings(),
          dropboxEndpoint: endpoint,
        });
        assert.ok(saved.ok, JSON.stringify(saved));
        await h.drop('RDL/USB0/big.bin', pattern(30 * MiB));
        const pass = h.engine.runPassNow();
        // Dropbox stops answering while a chunk is still being sent.
        while (h.emulator.stats()['received-bytes']! < MiB)
          await new Promise((r) => setTimeout(r, 2));
        relay.freeze();
        const frozenAt = performance.now();
        const report = await pass;
        const waited = performance.now() - frozenAt;
        assert.equal(report.uploadBlocked?.code, 'offline');
        assert.ok(
          waited < 1.6 * IDLE_MS,
          `the pass ended ${Math.round(waited)} ms after Dropbox stopped answering (idle time ${IDLE_MS} ms)`,
        );
        const status = h.engine.getStatus();
        assert.equal(status.state, 'offline');
        assert.match(
          status.sentence,
          /^Dropbox is unreachable: it stopped answering \(nothing moved on the connection for 1 s, ETIMEDOUT\); check the hub's network connection/,
        );
        // Still silent at the next pass: the status says so again, the log not.
        assert.equal((await h.engine.runPassNow()).uploadBlocked?.code, 'offline');
        const unreachable = () => logger.lines.filter((l) => l.includes('Dropbox is unreachable'));
        assert.equal(unreachable().length, 1, logger.lines.join('\n'));
        assert.match(unreachable()[0]!, /^warn .*"cause":"network".*stopped answering/);

        // Dropbox answers again: the next pass sends the file, and the log says it is back.
        relay.thaw();
        const back = await h.engine.runPassNow();
        assert.equal(back.uploadBlocked, null);
        assert.equal(back.uploaded, 1);
        assert.notEqual(h.engine.getStatus().state, 'offline');
        const answers = logger.lines.filter((l) => l.includes('Dropbox answers again'));
        assert.equal(answers.length, 1, logger.lines.join('\n'));
        assert.match(answers[0]!, /^info .*"unreachableFor":"\d+ s"/);
        assert.ok(
          (await h.emulator.readFile('/RDL/site1/RDL/USB0/big.bin')).equals(pattern(30 * MiB)),
        );
      } finally {
        await relay.close();
      }
    },
  );
});

test('Dropbox refusing connections: the status names the refusal, where, and what to check', async () => {
  const logger = new RecordingLogger();
  await withHarness({ engine: { logger }, settings: { intervalSeconds: 86_400 } }, async (h) => {
    const saved = await h.engine.saveSettings({
      ...h.engine.getSettings(),
      dropboxEndpoint: 'http://127.0.0.1:9',
    });
    assert.ok(saved.ok, JSON.stringify(saved));
    await h.drop('RDL/USB0/a.csv', 't,v\n1,2\n');
    assert.equal((await h.engine.runPassNow()).uploadBlocked?.code, 'offline');
    assert.match(
      h.engine.getStatus().sentence,
      /^Dropbox is unreachable: the connection to 127\.0\.0\.1:9 was refused \(ECONNREFUSED\); check the hub's firewall, and the Dropbox endpoint/,
    );
    const unreachable = logger.lines.filter((l) => l.includes('Dropbox is unreachable'));
    assert.equal(unreachable.length, 1, logger.lines.join('\n'));
    assert.match(unreachable[0]!, /ECONNREFUSED/);
  });
});
