// A card that stops answering without failing (a USB reader's firmware hung, a FUSE driver
// stopped): every call on it waits in the kernel. The pass waited with it, for ever: Dropbox got
// nothing more, the status said "Up to date" with "Next pass: running now", and nobody was told
// (found by stopping a FUSE card's driver under a running daemon). Now the archive is given a
// deadline: past it, the archive leg is blocked with a problem that says so, Dropbox goes on,
// nothing more is asked of the card while its calls hang, and once it answers again its files
// are copied and the problem clears. A real FAT32 card whose driver is stopped (SIGSTOP).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, listFilesRel, type Harness } from '../engine/harness.js';
import { readPublishedStatus, runCli, waitFor } from '../cli/cli-harness.js';
import { archiveHungSince, archiveSilentMs } from '../../src/engine/archive/card-answers.js';
import { ArchiveTarget } from '../../src/engine/archive/index.js';
import { threadPoolSize } from '../../src/engine/archive/card-gate.js';
import { SMALL_CONCURRENCY } from '../../src/engine/legs/archive-leg.js';
import { CardImage, cardsUnavailable, mountedCard } from './helpers.js';
import { buildArchive } from '../../src/engine/assemble.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { silentLogger } from '../../src/engine/ports.js';

const unavailable = cardsUnavailable();

/** An engine (2 s archive deadline) whose archive is a real FAT32 card; thawed and gone after. */
async function withCard(
  sizeMiB: number,
  run: (h: Harness, card: CardImage) => Promise<void>,
  archiveAnswerMs = 2_000,
  publishStatus = false,
): Promise<void> {
  const h = await startHarness({
    settings: { archiveMustBeMountPoint: true },
    engine: { archiveAnswerMs, publishStatus },
  });
  const card = await CardImage.create('fat32', sizeMiB);
  try {
    await card.mount(h.archiveDir);
    await run(h, card);
  } finally {
    card.thaw();
    await card.destroy();
    await h.close();
  }
}

/**
 * A first file copied to the card, then the card stopped; thawed from another process after `ms`
 * were this one held (its `stop()` says whether it had to).
 */
async function stoppedAfterFirstFile(
  h: Harness,
  card: CardImage,
  ms: number,
): Promise<{ stop(): boolean }> {
  await h.drop('RDL/USB0/before.csv', 'a\n');
  assert.equal((await h.engine.runPassNow()).done, 1);
  const rescue = card.armThawFromOutside(ms);
  rescue.freeze();
  return rescue;
}

/** Until the calls that hung on the card have returned (bounded). */
async function untilAnswering(root: string): Promise<void> {
  for (let i = 0; i < 100 && archiveHungSince(root) !== null; i++)
    await new Promise((r) => setTimeout(r, 100));
}

test(
  'a card that stops answering blocks only the archive leg, is said, and is caught up once it answers',
  { timeout: 120_000 },
  async (t) => {
    if (unavailable) return t.skip(unavailable);
    await withCard(40, async (h, card) => {
      await h.drop('RDL/USB0/before.csv', 'a\n');
      const first = await h.engine.runPassNow();
      assert.equal(first.done, 1, JSON.stringify(first));

      card.freeze();
      await h.drop('RDL/USB0/during-1.csv', 'b\n');
      await h.drop('cameras/during-2.jpg', 'c'.repeat(5000));
      const frozen = await h.engine.runPassNow();
      assert.match(
        frozen.archiveBlocked?.message ?? '',
        new RegExp(
          `^SD card at ${h.archiveDir} has not answered for \\d+ s: a call on it hangs \\(its reader or its driver stopped\\); RDL Sync leaves it alone until it answers, and Dropbox goes on\\. If it does not come back: unmount it \\(sudo umount -l ${h.archiveDir}\\), take the card out and insert it again; files wait safely in transit$`,
        ),
      );
      assert.equal(frozen.uploadBlocked, null);
      // Dropbox went on: both new files are there, and they wait in transit for the card.
      const remote = h.emulator.listFiles().map((f) => f.pathDisplay);
      for (const rel of ['RDL/USB0/during-1.csv', 'cameras/during-2.jpg'])
        assert.ok(remote.includes(`/RDL/site1/${rel}`), `${rel} on Dropbox: ${remote.join(', ')}`);
      assert.deepEqual(await listFilesRel(h.transitDir), [
        'RDL/USB0/during-1.csv',
        'cameras/during-2.jpg',
      ]);
      const problem = h.engine.getStatus().problems.find((p) => p.code === 'archive-missing');
      assert.match(problem?.message ?? '', /has not answered for \d+ s/);
      assert.notEqual(archiveHungSince(h.archiveDir), null);

      // While its call hangs, the next pass still ends, the card still said not answering.
      const again = await h.engine.runPassNow();
      assert.match(again.archiveBlocked?.message ?? '', /has not answered/);

      card.thaw();
      await untilAnswering(h.archiveDir);
      assert.equal(archiveHungSince(h.archiveDir), null, 'the hung call returned once thawed');
      const back = await h.engine.runPassNow();
      assert.equal(back.archiveBlocked, null, back.archiveBlocked?.message);
      assert.equal(back.done, 2, JSON.stringify(back));
      assert.deepEqual(await listFilesRel(h.transitDir), []);
      const onCard = await listFilesRel(h.archiveDir);
      for (const rel of ['RDL/USB0/before.csv', 'RDL/USB0/during-1.csv', 'cameras/during-2.jpg'])
        assert.ok(onCard.includes(rel), `${rel} on the card: ${onCard.join(', ')}`);
      assert.equal(
        h.engine.getStatus().problems.find((p) => p.code === 'archive-missing'),
        undefined,
      );
    });
  },
);

test(
  'a card that stops answering in the middle of a copy: the pass ends, Dropbox has the file, the copy is made once it answers',
  { timeout: 120_000 },
  async (t) => {
    if (unavailable) return t.skip(unavailable);
    await withCard(64, async (h, card) => {
      const big = Buffer.alloc(24 * 1024 * 1024, 7);
      await h.drop('cameras/big.bin', big);
      // Stopped as soon as the copy to the card has moved its first bytes.
      let frozen = false;
      const off = h.engine.onStatus((s) => {
        if (frozen || !s.transfers.some((x) => x.leg === 'archive' && x.bytesDone > 0)) return;
        frozen = true;
        card.freeze();
      });
      const pass = await h.engine.runPassNow();
      off();
      assert.ok(frozen, 'the copy to the card started');
      assert.match(
        pass.archiveBlocked?.message ?? '',
        /has not answered for \d+ s: a call on it hangs/,
      );
      assert.equal(pass.uploadBlocked, null);
      assert.equal(h.emulator.listFiles().filter((f) => f.size === big.length).length, 1);
      assert.deepEqual(await listFilesRel(h.transitDir), ['cameras/big.bin']);

      card.thaw();
      await untilAnswering(h.archiveDir);
      const back = await h.engine.runPassNow();
      assert.equal(back.archiveBlocked, null, back.archiveBlocked?.message);
      assert.equal(back.done, 1, JSON.stringify(back));
      assert.deepEqual(await listFilesRel(h.transitDir), []);
      assert.ok((await listFilesRel(h.archiveDir)).includes('cameras/big.bin'));
    });
  },
);

// A call on the card made on the main thread (a stat, the link tried first, the open for an
// fsync, the read-back of a small copy) held the whole process, not one thread: no timer, no
// upload, no status until the card answered, and the card's deadline could not run. Every call
// on a card is made on the thread pool now; the card is stopped between two copies, so the next
// copy's first call on it is the one that waits.
for (const format of ['fat32', 'exfat'] as const) {
  test(
    `${format} card: a copy to a card that stops answering holds a thread, not this process`,
    { timeout: 120_000 },
    async (t) => {
      if (unavailable) return t.skip(unavailable);
      const m = await mountedCard(format, 40);
      const transit = await mkdtemp(join(tmpdir(), 'rdl-hung-transit-'));
      try {
        const target = new ArchiveTarget({ root: m.dir, mustBeMountPoint: true });
        assert.equal((await target.check()).problem, null);
        const store = async (name: string, body: string) => {
          const srcPath = join(transit, name);
          await writeFile(srcPath, body);
          return target.store({ rel: `RDL/USB0/${name}`, srcPath, size: body.length });
        };
        // Were this process held, only another process could thaw the card.
        const rescue = m.card.armThawFromOutside(20_000);
        // The folder is known and the card found to take no hard links (copies, read back).
        await store('first.csv', 't,v\n1,2\n');

        rescue.freeze();
        let settled = false;
        const second = store('second.csv', 't,v\n3,4\n').then(
          (stored) => ((settled = true), stored),
          (e: unknown) => ((settled = true), e as Error),
        );
        await new Promise((r) => setTimeout(r, 1_000));
        const thawedFromOutside = rescue.stop();
        assert.equal(
          thawedFromOutside,
          false,
          'this process went on while the card was stopped (not held until another process thawed it)',
        );
        assert.equal(settled, false, 'the copy waits for the card');

        m.card.thaw();
        const stored = await second;
        assert.ok(!(stored instanceof Error), String(stored));
        assert.equal(await readFile(stored.path, 'utf8'), 't,v\n3,4\n');
      } finally {
        m.card.thaw();
        await m.done();
        await rm(transit, { recursive: true, force: true });
      }
    },
  );
}

test(
  'a card that stops answering while many small files are copied: the pass ends, all on Dropbox',
  { timeout: 120_000 },
  async (t) => {
    if (unavailable) return t.skip(unavailable);
    // The pool this test process has (Node's 4 unless set, as for the tray app and a daemon
    // started by hand): a copy of many small files sent a call per file at once, the card held
    // every thread, and the whole process waited (the journal's save, Dropbox's reads of transit).
    const pool = threadPoolSize();
    if (pool >= SMALL_CONCURRENCY)
      return t.skip(`a pool (${pool}) as large as the small files in flight holds no lesson here`);
    await withCard(40, async (h, card) => {
      await h.drop('RDL/USB0/before.csv', 'a\n');
      assert.equal((await h.engine.runPassNow()).done, 1);
      const rels = Array.from(
        { length: 60 },
        (_, i) => `RDL/USB0/f${String(i).padStart(2, '0')}.csv`,
      );
      for (const rel of rels) await h.drop(rel, `t,v\n${rel}\n`);
      // Stopped with copies under way; were this process held (a call on the card made on its
      // main thread, or every thread of the pool held), the pass would end only once another
      // process thawed the card, a minute later: the test fails rather than hangs. (Armed while
      // nothing of this process is open on the card: see armThawFromOutside.)
      const rescue = card.armThawFromOutside(60_000);
      let frozen = false;
      const off = h.engine.onStatus((s) => {
        if (frozen || s.transfers.filter((x) => x.leg === 'archive').length < SMALL_CONCURRENCY / 2)
          return;
        frozen = true;
        rescue.freeze();
      });
      let pass;
      try {
        pass = await h.engine.runPassNow();
      } finally {
        off();
      }
      const thawedFromOutside = rescue.stop();
      assert.ok(frozen, 'the card was stopped with copies under way');
      assert.equal(thawedFromOutside, false, 'the pass ended while the card was stopped');
      assert.match(pass.archiveBlocked?.message ?? '', /has not answered for \d+ s/);
      assert.equal(pass.uploadBlocked, null);
      const remote = new Set(h.emulator.listFiles().map((f) => f.pathDisplay));
      for (const rel of rels) assert.ok(remote.has(`/RDL/site1/${rel}`), `${rel} on Dropbox`);

      card.thaw();
      await untilAnswering(h.archiveDir);
      const back = await h.engine.runPassNow();
      assert.equal(back.archiveBlocked, null, back.archiveBlocked?.message);
      assert.deepEqual(await listFilesRel(h.transitDir), []);
      const onCard = new Set(await listFilesRel(h.archiveDir));
      for (const rel of rels) assert.ok(onCard.has(rel), `${rel} on the card`);
    });
  },
);

test(
  'copies whose save waits aside as the card stops answering make no call on it after: the process keeps its threads',
  { timeout: 120_000 },
  async (t) => {
    if (unavailable) return t.skip(unavailable);
    const m = await mountedCard('fat32', 40);
    const transit = await mkdtemp(join(tmpdir(), 'rdl-aside-transit-'));
    // (Armed before anything of this process is open on the card: see armThawFromOutside.)
    const rescue = m.card.armThawFromOutside(30_000);
    try {
      const settings = {
        ...defaultSettings(transit),
        archiveDir: m.dir,
        archiveMustBeMountPoint: true,
      };
      const port = buildArchive(settings, silentLogger, undefined, { deadlineMs: 1_000 });
      assert.equal((await port.check()).problem, null);
      const source = async (name: string) => {
        const srcPath = join(transit, name);
        await writeFile(srcPath, `t,v\n${name}\n`);
        return { rel: `RDL/USB0/${name}`, srcPath, size: `t,v\n${name}\n`.length };
      };
      await port.store(await source('first.csv'));

      // More copies than the pool has threads, each copied and read back, then waiting for its
      // save as ours (aside: holding no place at the card's gate).
      const parked = threadPoolSize() + 2;
      let release = (): void => {};
      const saved = new Promise<void>((r) => (release = r));
      let waiting = 0;
      const stores: Promise<Error | null>[] = [];
      for (let i = 0; i < parked; i++) {
        const s = await source(`parked-${i}.csv`);
        stores.push(
          port
            .store({
              ...s,
              beforePlace: async () => {
                waiting++;
                await saved;
                return undefined;
              },
            })
            .then(
              () => null,
              (e: unknown) => e as Error,
            ),
        );
      }
      for (let i = 0; i < 200 && waiting < parked; i++) await new Promise((r) => setTimeout(r, 25));
      assert.equal(waiting, parked, 'every copy waits for its save');

      // The card stops; a copy that then waits on it passes its deadline.
      rescue.freeze();
      const late = await port.store(await source('late.csv')).then(
        () => null,
        (e: unknown) => e as Error,
      );
      assert.match(late?.message ?? 'stored', /has not answered for \d+ s/);

      // The saves end: each copy, back at the gate, is refused, and calls nothing on the card.
      release();
      for (const e of await Promise.all(stores))
        assert.match(e?.message ?? 'stored', /has not answered for \d+ s/);
      let held: NodeJS.Timeout | undefined;
      const local = await Promise.race([
        readFile(join(transit, 'first.csv'), 'utf8'),
        new Promise<string>((r) => (held = setTimeout(() => r('held'), 5_000))),
      ]).finally(() => clearTimeout(held));
      assert.equal(local, 't,v\nfirst.csv\n', 'a read of this process’s own disk has a thread');
      assert.equal(rescue.stop(), false, 'all the while the card was stopped');
    } finally {
      rescue.stop();
      m.card.thaw();
      await m.done();
      await rm(transit, { recursive: true, force: true });
    }
  },
);

test(
  'settings checked and saved while the card hangs do not wait for it (the window and the menu stay alive)',
  { timeout: 120_000 },
  async (t) => {
    if (unavailable) return t.skip(unavailable);
    await withCard(40, async (h, card) => {
      const rescue = await stoppedAfterFirstFile(h, card, 30_000);
      const frozen = await h.engine.runPassNow();
      assert.match(frozen.archiveBlocked?.message ?? '', /has not answered/);

      // The folder checks made on every save stat the archive from this thread: a stat of the
      // hung card held the whole process until the card answered.
      const changed = { ...h.engine.getSettings(), intervalSeconds: 600 };
      const checked = h.engine.validateSettings(changed);
      assert.ok(checked.ok, JSON.stringify(checked));
      const saved = await h.engine.saveSettings(changed);
      assert.ok(saved.ok, JSON.stringify(saved));
      assert.equal(h.engine.getSettings().intervalSeconds, 600);
      // Only the card that hangs is spared: another archive folder is still looked at.
      const file = join(h.root, 'not-a-folder');
      await writeFile(file, 'x');
      const refused = h.engine.validateSettings({ ...changed, archiveDir: file });
      assert.match(JSON.stringify(refused), /is a file, not a folder/);
      assert.equal(rescue.stop(), false, 'the settings waited for the stopped card');
    });
  },
);

test(
  'settings checked while a call waits on a card that stopped answering, before its deadline says so, do not wait for it',
  { timeout: 120_000 },
  async (t) => {
    if (unavailable) return t.skip(unavailable);
    await withCard(
      40,
      async (h, card) => {
        const rescue = await stoppedAfterFirstFile(h, card, 30_000);
        await h.drop('RDL/USB0/during.csv', 'b\n');
        // A pass whose look at the card waits (its deadline 60 s: not known to hang yet).
        const pass = h.engine.runPassNow();
        for (let i = 0; i < 100 && archiveSilentMs(h.archiveDir) < 1_500; i++)
          await new Promise((r) => setTimeout(r, 50));
        assert.ok(archiveSilentMs(h.archiveDir) >= 1_500, 'a call waits on the card');
        assert.equal(archiveHungSince(h.archiveDir), null, 'not yet known to hang');
        // The window checks the form as it is typed: with the card's folder, and a folder below.
        const form = { ...h.engine.getSettings(), intervalSeconds: 900 };
        assert.ok(h.engine.validateSettings(form).ok);
        const below = { ...form, archiveDir: join(h.archiveDir, 'RDL') };
        assert.ok(h.engine.validateSettings(below).ok);
        assert.equal(rescue.stop(), false, 'the check waited for the stopped card');
        card.thaw();
        const done = await pass;
        assert.equal(done.archiveBlocked, null, done.archiveBlocked?.message);
      },
      60_000,
    );
  },
);

test(
  '`settings set` beside an engine that found the card not answering does not wait for the card',
  { timeout: 120_000 },
  async (t) => {
    if (unavailable) return t.skip(unavailable);
    await withCard(
      40,
      async (h, card) => {
        const rescue = await stoppedAfterFirstFile(h, card, 60_000);
        const frozen = await h.engine.runPassNow();
        assert.match(frozen.archiveBlocked?.message ?? '', /has not answered/);
        await waitFor(
          'the status published with the card not answering',
          async () => (await readPublishedStatus(h.configDir))?.status.archive.notAnswering,
          20_000,
        );
        // Another process (a technician's command beside the daemon or the tray app): it knows
        // of the card only what the status says. It waited in the kernel until the card came
        // back, its timeout's signals unheard, holding the settings' lock.
        const set = await runCli(
          ['settings', 'set', 'intervalSeconds', '120', '--config-dir', h.configDir],
          { home: h.root },
        );
        assert.equal(set.code, 0, set.stdout + set.stderr);
        assert.equal(rescue.stop(), false, 'the command waited for the stopped card');
        const saved = JSON.parse(await readFile(join(h.configDir, 'config.json'), 'utf8'));
        assert.equal(saved.intervalSeconds, 120);
      },
      2_000,
      true,
    );
  },
);

test(
  'a card that stops answering does not hold Dropbox while its deadline runs: the pass goes on without its look',
  { timeout: 120_000 },
  async (t) => {
    if (unavailable) return t.skip(unavailable);
    await withCard(
      40,
      async (h, card) => {
        const rescue = await stoppedAfterFirstFile(h, card, 60_000);
        await h.drop('RDL/USB0/during.csv', 'b\n');
        const pass = h.engine.runPassNow();
        // Dropbox has it within seconds, while the card's deadline (60 s here, 2 min in use)
        // still runs: before, every hang held Dropbox for the whole deadline.
        await waitFor(
          'during.csv on Dropbox',
          async () => h.emulator.getFile('/RDL/site1/RDL/USB0/during.csv'),
          20_000,
        );
        assert.equal(archiveHungSince(h.archiveDir), null, 'the deadline has not passed');
        // The status counts the file waiting for the card, and says a pass runs.
        const s = h.engine.getStatus();
        assert.equal(s.counts.archivePending, 1, JSON.stringify(s.counts));
        assert.equal(s.state, 'syncing');
        assert.equal(rescue.stop(), false, 'the card stayed stopped');
        // Once it answers, the same pass copies the file to it.
        card.thaw();
        const done = await pass;
        assert.equal(done.archiveBlocked, null, done.archiveBlocked?.message);
        assert.equal(done.done, 1, JSON.stringify(done));
        assert.ok((await listFilesRel(h.archiveDir)).includes('RDL/USB0/during.csv'));
        assert.deepEqual(await listFilesRel(h.transitDir), []);
      },
      60_000,
    );
  },
);
