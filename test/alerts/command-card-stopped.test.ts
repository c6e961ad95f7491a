// The alert command started while this process holds a file open on a FUSE card that stopped
// answering (exfat-fuse, ntfs-3g and fusefat cards; a copy under way when the card hung). A new
// program's start closes every descriptor it inherited, and closing one on FUSE asks the driver:
// the start waits for the card, and Node's spawn waits for the start. Made from the main thread,
// that held the whole process until the card came back, the alert that says the card does not
// answer included. Now the start waits in a worker thread, and the timeout says so.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { CommandChannel } from '../../src/engine/alerts/channels/command.js';
import { startsHeld } from '../../src/engine/alerts/channels/command-thread.js';
import { channelFix } from '../../src/engine/alerts/channels/channel-fix.js';
import { cardsUnavailable, mountedCard } from '../archive/helpers.js';
import { tempDir } from './loopback.js';
import { alert, origin } from './channel-fixtures.js';

const unavailable = cardsUnavailable();

test(
  'command hook: started with a file open on a stopped FUSE card, it holds no more than a thread and is given up at the timeout',
  { timeout: 120_000 },
  async (t) => {
    if (unavailable) return t.skip(unavailable);
    const m = await mountedCard('fat32', 40);
    const dir = await tempDir('rdl-cmd-card-');
    try {
      const ran = path.join(dir, 'ran');
      const script = path.join(dir, 'hook.sh');
      await fs.writeFile(script, `#!/bin/sh\ncat > "${ran}.json"\nsleep 0.5\ntouch "${ran}"\n`, {
        mode: 0o755,
      });
      // Were this process held, only another process could thaw the card.
      const rescue = m.card.armThawFromOutside(20_000);
      // A copy under way on the card: a file of this process open for writing there.
      const copy = await fs.open(path.join(m.dir, 'copy.bin'), 'w');
      await copy.write(Buffer.alloc(4096, 1));
      rescue.freeze();
      let settled = false;
      const sent = new CommandChannel(script, 2_000).send(alert, origin).then(
        () => null,
        (e: unknown) => e as Error,
      );
      void sent.finally(() => (settled = true));
      await new Promise((r) => setTimeout(r, 500));
      assert.equal(settled, false, 'the start waits for the card');
      const error = await sent;
      assert.equal(rescue.stop(), false, 'this process went on while the card was stopped');
      assert.match(
        error?.message ?? 'sent',
        /^alert command .*hook\.sh did not start in 2 s: its start was held by the system \(a disk with a file of RDL Sync's open on it, such as a FUSE card, does not answer\); it was given up$/,
      );
      // The status's advice for the channel sends no one to settings that are right.
      assert.match(channelFix(error?.message ?? ''), /^it is tried again once that disk answers/);
      assert.match(channelFix('HTTP 503'), /^check the alert settings/);

      // While that start is held, another alert is not given another thread: refused at once.
      const startedAt = Date.now();
      await assert.rejects(
        new CommandChannel(script, 2_000).send(alert, origin),
        /^Error: alert command .*hook\.sh was not started: an earlier start is still held by the system \(a disk with a file of RDL Sync's open on it, such as a FUSE card, does not answer\)$/,
      );
      assert.ok(Date.now() - startedAt < 1_000, 'refused without a wait');

      // Once the card answers, the start returns, and the program given up is stopped at once.
      m.card.thaw();
      await copy.close();
      await new Promise((r) => setTimeout(r, 1_000));
      await assert.rejects(fs.stat(ran), { code: 'ENOENT' });
      // And the hook works again with the card back (the held start returned).
      for (let i = 0; i < 100 && startsHeld() > 0; i++) await new Promise((r) => setTimeout(r, 50));
      assert.equal(startsHeld(), 0);
      await new CommandChannel(script, 10_000).send(alert, origin);
      assert.equal(
        JSON.parse(await fs.readFile(`${ran}.json`, 'utf8')).condition,
        'archive-missing',
      );
    } finally {
      m.card.thaw();
      await m.done();
      await fs.rm(dir, { recursive: true, force: true });
    }
  },
);
