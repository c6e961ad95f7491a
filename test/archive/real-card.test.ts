// The SD-card leg on real exFAT and FAT card file systems (FUSE drivers on image files, see
// helpers.ts CardImage): what a site's card really does with the loggers' names and files, where
// the other archive tests use tmpfs and ext4. Transit is on another file system, so every file is
// copied, as it is to a card.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmod,
  mkdir,
  readdir,
  readFile,
  stat,
  truncate,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ArchiveTarget, ARCHIVE_WORK_DIR } from '../../src/engine/archive/index.js';
import { ArchiveLeg } from '../../src/engine/legs/archive-leg.js';
import type { PlaceItem, PlaceOutcome } from '../../src/engine/legs/leg.js';
import { hashFileDropbox } from '../../src/engine/fsutil/index.js';
import { placeWithoutReplacing } from '../../src/engine/fsutil/place.js';
import { placeAll } from '../legs/conformance.js';
import { cannotDropPrivileges, nodeAsNobody } from '../stage/unprivileged.js';
import { spawnSync } from 'node:child_process';
import {
  CardImage,
  cardsUnavailable,
  mountedCard,
  unmount,
  writePatternFile,
  type CardFormat,
} from './helpers.js';

const ALL: CardFormat[] = ['exfat', 'fat16', 'fat32'];
const unavailable = cardsUnavailable();
const CARD_TEST_TIMEOUT_MS = 120_000;

type Card = Awaited<ReturnType<typeof mountedCard>>;

/** Runs `body` once per format on a fresh card mounted at a mount point; always unmounted. */
function onCards(
  what: string,
  body: (m: Card, format: CardFormat, t: TestContext) => Promise<void>,
  opts: { formats?: CardFormat[]; sizeMiB?: number } = {},
): void {
  for (const format of opts.formats ?? ALL) {
    // A driver that hangs fails the test after a while instead of stopping the run; the exit
    // hook in helpers.ts then unmounts the card and ends its driver.
    test(`${format} card: ${what}`, { timeout: CARD_TEST_TIMEOUT_MS }, async (t) => {
      if (unavailable) return t.skip(unavailable);
      const m = await mountedCard(format, opts.sizeMiB ?? 64);
      try {
        await body(m, format, t);
      } finally {
        await m.done();
      }
    });
  }
}

/** A transit file (on the test's own disk, not the card) as the leg is handed it. */
async function transitFile(m: Card, rel: string, content: string | Buffer): Promise<PlaceItem> {
  const localPath = join(m.base, 'transit', `${Math.random().toString(36).slice(2)}`, rel);
  await mkdir(dirname(localPath), { recursive: true });
  await writeFile(localPath, content);
  const s = await stat(localPath);
  return { rel, localPath, size: s.size, mtimeMs: s.mtimeMs };
}

function leg(m: Card): ArchiveLeg {
  return new ArchiveLeg(new ArchiveTarget({ root: m.dir, mustBeMountPoint: true }));
}

function outcomeOf(outcomes: PlaceOutcome[], rel: string): PlaceOutcome {
  const o = outcomes.find((x) => x.rel === rel);
  assert.ok(o, `an outcome for ${rel}`);
  return o;
}

/** Every file on the card below the root with its bytes, the reserved folder left out. */
async function cardFiles(root: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const e of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const abs = join(e.parentPath, e.name);
    const rel = abs.slice(root.length + 1);
    if (rel.startsWith(`${ARCHIVE_WORK_DIR}/`)) continue;
    out.set(rel, await readFile(abs, 'utf8'));
  }
  return out;
}

onCards(
  'a site’s day of files lands complete and verified, folders and names as the loggers made them',
  async (m) => {
    const files: Record<string, string> = {
      'RDL/USB0/2026-11/RDL_2026-11-24_USB0.txt': 'ts,v\n'.repeat(2000),
      'RDL/USB1/2026-11/2026-11-24/RDL_2026-11-24_07_USB1.txt': 'hourly\n',
      'internet/internet_2026-11-24.txt': 'up 23h\n',
      'cameras/reolink1/2026-11-24/2026-11-24_10_15.jpg': 'jpeg'.repeat(50_000),
      'cameras/infrared1/2026-11-24/2026-11-24_10_30.csv': '1,2,3\n'.repeat(24_000),
      'cameras/infrared1/2026-11-24/2026-11-24_10_30.jpg': 'ir jpeg',
    };
    const items = await Promise.all(
      Object.entries(files).map(([rel, c]) => transitFile(m, rel, c)),
    );
    const p = await placeAll(leg(m), items);
    assert.equal(p.blocked, null, p.blocked?.message);
    for (const item of items) {
      const o = outcomeOf(p.outcomes, item.rel);
      assert.ok(o.ok, o.ok ? '' : o.error.message);
      assert.equal(o.path, join(m.dir, item.rel));
      assert.equal(o.contentHash, await hashFileDropbox(item.localPath));
    }
    const onCard = await cardFiles(m.dir);
    assert.deepEqual([...onCard.keys()].sort(), Object.keys(files).sort());
    for (const [rel, c] of Object.entries(files)) assert.ok(onCard.get(rel) === c, `${rel} bytes`);
    assert.deepEqual(await readdir(join(m.dir, ARCHIVE_WORK_DIR)), [], 'no temporary left');
  },
);

onCards(
  'names FAT and exFAT refuse fail alone, each with a message naming the trouble; the leg goes on',
  async (m) => {
    const refused = [
      'RDL/USB0/2026-11-24T10:00:00.csv',
      'RDL/USB0/what?.csv',
      'RDL/USB0/star*.csv',
      'RDL/USB0/say "hi".csv',
      'RDL/USB0/a<b>.csv',
      'RDL/USB0/pipe|d.csv',
      'RDL/bad:folder/x.csv',
      `RDL/USB0/${'n'.repeat(300)}.csv`,
    ];
    const good = await transitFile(m, 'RDL/USB0/good.csv', 'fine\n');
    const bad = await Promise.all(
      refused.map((rel) => transitFile(m, 'x.csv', rel).then((i) => ({ ...i, rel }))),
    );
    const p = await placeAll(leg(m), [...bad, good]);
    assert.equal(p.blocked, null, `one bad name never blocks the card: ${p.blocked?.message}`);
    const g = outcomeOf(p.outcomes, good.rel);
    assert.ok(g.ok, g.ok ? '' : g.error.message);
    for (const rel of refused) {
      const o = outcomeOf(p.outcomes, rel);
      assert.ok(!o.ok, `${rel} cannot be on the card`);
      assert.equal(o.error.kind, 'file-failed', `${rel}: ${o.error.message}`);
      // The message names the refused name, what in it is wrong, and the fix.
      const name = rel.split('/').find((seg) => /[:?*"<>|]/.test(seg) || seg.length > 255);
      assert.ok(name && o.error.message.includes(`"${name}"`), o.error.message);
      assert.match(o.error.message, /it contains [:?*"<>|]|characters long/, o.error.message);
      assert.match(o.error.message, /rename the file.*nothing is lost/, o.error.message);
    }
    assert.deepEqual([...(await cardFiles(m.dir)).keys()], ['RDL/USB0/good.csv']);
    assert.deepEqual(await readdir(join(m.dir, ARCHIVE_WORK_DIR)), [], 'no temporary left');
  },
);

onCards(
  'two names differing only by case (files and folders) both survive on the card, in one batch',
  async (m) => {
    const pairs: [string, string][] = [];
    for (let i = 0; i < 20; i++) {
      pairs.push(
        [`RDL/USB0/data${i}.csv`, `lower ${i}\n`],
        [`RDL/USB0/Data${i}.csv`, `Upper ${i}\n`],
      );
    }
    pairs.push(['RDL/usb0/same.csv', 'usb0 folder\n'], ['RDL/USB0/same.csv', 'USB0 folder\n']);
    const items = await Promise.all(pairs.map(([rel, c]) => transitFile(m, rel, c)));
    const p = await placeAll(leg(m), items);
    assert.equal(p.blocked, null, p.blocked?.message);
    for (const item of items) {
      const o = outcomeOf(p.outcomes, item.rel);
      assert.ok(o.ok, o.ok ? '' : o.error.message);
      assert.equal(
        await readFile(o.path, 'utf8'),
        await readFile(item.localPath, 'utf8'),
        `${item.rel} at ${o.path}`,
      );
    }
    const contents = [...(await cardFiles(m.dir)).values()].sort();
    assert.deepEqual(
      contents,
      pairs.map(([, c]) => c).sort(),
      'every file’s bytes are on the card once',
    );
  },
);

onCards(
  'the card keeps the logger’s mtime to its own granularity; a second pass finds the copy already there',
  async (m, format) => {
    const item = await transitFile(m, 'RDL/USB0/RDL_2026-11-24_USB0.txt', 'ts,v\n1,2\n');
    const mtime = new Date('2026-11-24T23:59:59.700Z');
    await utimes(item.localPath, mtime, mtime);
    await chmod(item.localPath, 0o600);
    const target = leg(m);
    const first = await placeAll(target, [{ ...item, mtimeMs: mtime.getTime() }]);
    const o = outcomeOf(first.outcomes, item.rel);
    assert.ok(o.ok, o.ok ? '' : o.error.message);
    const onCard = (await stat(o.path)).mtimeMs;
    const granularity = format === 'exfat' ? 1000 : 2000;
    assert.ok(
      onCard <= mtime.getTime() && mtime.getTime() - onCard < granularity,
      `${new Date(onCard).toISOString()}`,
    );
    const again = await placeAll(target, [{ ...item, mtimeMs: mtime.getTime() }]);
    const a = outcomeOf(again.outcomes, item.rel);
    assert.ok(a.ok && a.alreadyPresent, 'the copy on the card counts: content, not mtime, decides');
    assert.deepEqual([...(await cardFiles(m.dir)).keys()], [item.rel], 'no numbered copy');
  },
);

onCards(
  'a file over 4 GiB fails alone at once on FAT (no byte written, not "card full"); on exFAT, as larger than the whole card',
  async (m, format) => {
    const big = await transitFile(m, 'cameras/infrared1/2026-11-24/huge.bin', '');
    const size = 2 ** 32 + 1; // sparse: costs no disk
    await truncate(big.localPath, size);
    const small = await transitFile(m, 'RDL/USB0/small.csv', 'ts,v\n');
    const p = await placeAll(leg(m), [{ ...big, size }, small]);
    const s = outcomeOf(p.outcomes, small.rel);
    assert.ok(s.ok, s.ok ? '' : s.error.message);
    if (format === 'exfat') {
      // exFAT holds such a file, but not this 64 MiB card: "full, free space or swap the card"
      // sent a person to free space where none could ever make room. It fails alone.
      assert.equal(p.blocked, null, p.blocked?.message);
      const b = outcomeOf(p.outcomes, big.rel);
      assert.ok(!b.ok);
      assert.deepEqual([b.error.kind, b.error.code], ['file-failed', 'file-too-large']);
      assert.match(
        b.error.message,
        /huge\.bin \(4\.3 GB\) is larger than the whole of SD card at .* \(\d+(\.\d)? MB\): it needs a larger card; the other files go on/,
      );
    } else {
      assert.equal(p.blocked, null, p.blocked?.message);
      const b = outcomeOf(p.outcomes, big.rel);
      assert.ok(!b.ok, 'a FAT card cannot hold it');
      assert.deepEqual([b.error.kind, b.error.code], ['file-failed', 'file-too-large']);
      // Larger than this whole card too, where its driver tells the card's size (fusefat on
      // FAT32 reports none: then the FAT limit alone speaks).
      assert.match(
        b.error.message,
        /huge\.bin .*(larger than the whole of SD card .*: it needs a larger card|4 GiB.*exFAT).*nothing is lost/,
        b.error.message,
      );
    }
    assert.deepEqual([...(await cardFiles(m.dir)).keys()], [small.rel]);
    assert.deepEqual(await readdir(join(m.dir, ARCHIVE_WORK_DIR)), [], 'no temporary left');
  },
);

onCards(
  'a full card: the leg says so, smaller files still go, nothing partial is left under any name',
  async (m) => {
    const items: PlaceItem[] = [];
    for (let i = 0; i < 4; i++) {
      const item = await transitFile(m, `cameras/reolink1/2026-11-2${i}/big${i}.bin`, '');
      await writePatternFile(item.localPath, 12 * 1024 * 1024, i + 1);
      items.push({ ...item, size: 12 * 1024 * 1024 });
    }
    for (let i = 0; i < 5; i++)
      items.push(await transitFile(m, `RDL/USB0/small${i}.csv`, `row ${i}\n`));
    const p = await placeAll(leg(m), items);
    assert.equal(p.blocked?.code, 'archive-full', p.blocked?.message ?? 'not blocked');
    assert.match(
      p.blocked?.message ?? '',
      /is full .*free space or swap the card; files wait safely in transit/,
    );
    assert.equal(p.outcomes.filter((o) => !o.ok).length, 0, 'no file is failed for a full card');
    const placed = p.outcomes.filter((o) => o.ok);
    assert.ok(placed.length >= 7 && placed.length < items.length, `${placed.length} placed`);
    for (let i = 0; i < 5; i++) assert.ok(placed.some((o) => o.rel === `RDL/USB0/small${i}.csv`));
    // Every file on the card is a whole, verified copy: a copy cut short by the full card is gone.
    const onCard = await cardFiles(m.dir);
    assert.equal(onCard.size, placed.length);
    for (const o of placed) {
      const item = items.find((i) => i.rel === o.rel)!;
      assert.equal(
        await hashFileDropbox(join(m.dir, o.rel)),
        await hashFileDropbox(item.localPath),
      );
    }
    assert.deepEqual(await readdir(join(m.dir, ARCHIVE_WORK_DIR)), [], 'no temporary left');
  },
  { sizeMiB: 40 },
);

onCards(
  'the card pulled mid-copy (its driver killed): the leg is blocked, not the file; after re-inserting, the file goes',
  async (m) => {
    const item = await transitFile(m, 'cameras/infrared1/2026-11-24/2026-11-24_10_30.csv', '');
    const size = 24 * 1024 * 1024;
    await writePatternFile(item.localPath, size, 3);
    const target = new ArchiveTarget({ root: m.dir, mustBeMountPoint: true });
    const l = new ArchiveLeg(target);
    const outcomes: PlaceOutcome[] = [];
    let yanked = false;
    const blocked = await l.place([{ ...item, size }], {
      onOutcome: (o) => outcomes.push(o),
      onProgress: (_rel, bytes) => {
        if (!yanked && bytes >= 4 * 1024 * 1024) {
          yanked = true;
          m.card.yank();
        }
      },
    });
    assert.ok(yanked, 'the card was pulled during the copy');
    assert.equal(blocked?.code, 'archive-missing', blocked?.message);
    assert.deepEqual(
      outcomes.filter((o) => !o.ok),
      [],
      'the file is not failed for it',
    );
    const health = await l.check();
    assert.equal(health.problem?.code, 'archive-missing');
    assert.match(
      health.problem?.message ?? '',
      /does not answer \(ENOTCONN\).*unmount it \(sudo umount .*\) and insert it again; files wait safely in transit/,
    );
    // The operator unmounts the dead mount and inserts the card again, checked as a card with
    // a write cut off needs (the system's fsck; fusefat spins for ever on the open cluster chain).
    await m.card.unmount();
    m.card.repair();
    await m.card.mount(m.dir);
    assert.equal((await l.check()).problem, null);
    await target.cleanupTemps();
    const again = await placeAll(l, [{ ...item, size }]);
    const o = outcomeOf(again.outcomes, item.rel);
    assert.ok(o.ok, o.ok ? '' : o.error.message);
    assert.equal(await hashFileDropbox(o.path), await hashFileDropbox(item.localPath));
    assert.deepEqual([...(await cardFiles(m.dir)).keys()], [item.rel]);
    assert.deepEqual(await readdir(join(m.dir, ARCHIVE_WORK_DIR)).catch(() => []), []);
  },
  // Not FAT16: after fsck repaired the cut-off write, fusefat refused (EPERM) every new folder
  // below the one that was being written, a driver fault no kernel driver shares.
  { formats: ['exfat', 'fat32'] },
);

test(
  'a card swapped for another while files wait: the waiting files go to the new card, the old card is left as it was',
  { timeout: CARD_TEST_TIMEOUT_MS },
  async (t) => {
    if (unavailable) return t.skip(unavailable);
    const m = await mountedCard('exfat', 64);
    const second = await CardImage.create('fat32', 64);
    try {
      const target = new ArchiveTarget({ root: m.dir, mustBeMountPoint: true });
      const l = new ArchiveLeg(target);
      const v1 = await transitFile(m, 'RDL/USB0/2026-11/RDL_2026-11-24_USB0.txt', 'v1\n');
      const first = outcomeOf((await placeAll(l, [v1])).outcomes, v1.rel);
      assert.ok(first.ok);
      // Mid-pass, no check() in between: the folder the target knows is on the card taken out.
      await m.card.unmount();
      await second.mount(m.dir);
      const v2 = await transitFile(m, v1.rel, 'v1\nv2\n');
      const other = await transitFile(m, 'RDL/USB0/2026-11/RDL_2026-11-25_USB0.txt', 'next day\n');
      const p = await placeAll(l, [
        { ...v2, replace: { path: first.path, contentHash: first.contentHash } },
        other,
      ]);
      assert.equal(p.blocked, null, p.blocked?.message);
      for (const o of p.outcomes) assert.ok(o.ok, o.ok ? '' : o.error.message);
      assert.deepEqual(
        await cardFiles(m.dir),
        new Map([
          [v1.rel, 'v1\nv2\n'],
          [other.rel, 'next day\n'],
        ]),
      );
      await second.unmount();
      await m.card.mount(m.dir);
      assert.deepEqual(
        await cardFiles(m.dir),
        new Map([[v1.rel, 'v1\n']]),
        'the first card untouched',
      );
    } finally {
      await second.destroy();
      await m.done();
    }
  },
);

onCards(
  'case twins with the same bytes, then one grows: the other’s copy is not replaced with it',
  async (m) => {
    const l = leg(m);
    const lower = await transitFile(m, 'RDL/USB0/status.csv', 'ts,v\n');
    const a = outcomeOf((await placeAll(l, [lower])).outcomes, lower.rel);
    assert.ok(a.ok);
    const upper = await transitFile(m, 'RDL/USB0/STATUS.csv', 'ts,v\n');
    const b = outcomeOf((await placeAll(l, [upper])).outcomes, upper.rel);
    assert.ok(b.ok);
    // The lower-case file grows; its own earlier copy is replaced in place.
    const grown = await transitFile(m, lower.rel, 'ts,v\n1,2\n');
    const replace = { path: a.path, contentHash: a.contentHash };
    const c = outcomeOf((await placeAll(l, [{ ...grown, replace }])).outcomes, lower.rel);
    assert.ok(c.ok, c.ok ? '' : c.error.message);
    assert.equal(await readFile(c.path, 'utf8'), 'ts,v\n1,2\n');
    assert.equal(
      await readFile(b.path, 'utf8'),
      'ts,v\n',
      'the upper-case file’s copy still holds its bytes',
    );
    assert.deepEqual([...(await cardFiles(m.dir)).values()].sort(), ['ts,v\n', 'ts,v\n1,2\n']);
  },
);

onCards(
  'the card’s time zone: a card mounted in another zone, then again in UTC, still finds its copies by content',
  async (m) => {
    await m.card.unmount();
    await m.card.mount(m.dir, { tz: 'America/Montreal' });
    const l = leg(m);
    const item = await transitFile(m, 'internet/internet_2026-03-08.txt', 'online\n');
    const t = new Date('2026-03-08T06:59:59.500Z'); // the hour before Montreal's clocks went forward
    await utimes(item.localPath, t, t);
    const first = outcomeOf((await placeAll(l, [item])).outcomes, item.rel);
    assert.ok(first.ok && !first.alreadyPresent, first.ok ? '' : first.error.message);
    await m.card.unmount();
    await m.card.mount(m.dir, { tz: 'UTC' });
    const again = outcomeOf((await placeAll(leg(m), [item])).outcomes, item.rel);
    assert.ok(again.ok && again.alreadyPresent, 'found by content, whatever time the card shows');
    assert.deepEqual([...(await cardFiles(m.dir)).keys()], [item.rel], 'no numbered copy');
  },
);

/** What the archive leg did as the user nobody (card-as-nobody-script.ts). */
interface AsNobody {
  blocked: { code: string; message: string } | null;
  outcomes: { rel: string; ok: boolean; path?: string; message?: string }[];
  warnings: string[];
}

/** Places `items` on the card as the user nobody, the archive at `root`; `card`: its kind. */
async function placeAsNobody(
  m: Card,
  items: PlaceItem[],
  root: string,
  card: boolean,
): Promise<AsNobody> {
  // exfat-fuse mounts as root with mode 777 and allow_other: anyone may write, only root may
  // set a file's times or mode. The transit files are readable by nobody.
  await chmod(m.base, 0o755);
  for (const i of items) {
    let dir = dirname(i.localPath);
    while (dir.startsWith(m.base) && dir !== m.base) {
      await chmod(dir, 0o755);
      dir = dirname(dir);
    }
  }
  const script = new URL('./card-as-nobody-script.ts', import.meta.url).pathname;
  const r = spawnSync('setpriv', nodeAsNobody(script, JSON.stringify({ root, items, card })), {
    encoding: 'utf8',
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
  assert.equal(r.status, 0, r.stderr);
  const answer = JSON.parse(r.stdout) as AsNobody;
  assert.equal(answer.blocked, null, answer.blocked?.message);
  for (const i of items) {
    const o = answer.outcomes.find((x) => x.rel === i.rel);
    assert.ok(o?.ok, o?.message ?? `no outcome for ${i.rel}`);
    assert.equal(await readFile(o.path!, 'utf8'), await readFile(i.localPath, 'utf8'));
  }
  return answer;
}

onCards(
  'RDL Sync as an ordinary user on a card mounted by root: files go, though the card refuses to take their times',
  async (m, _format, t) => {
    const why = cannotDropPrivileges();
    if (why) return t.skip(why);
    const items = [
      await transitFile(m, 'RDL/USB0/2026-11/RDL_2026-11-24_USB0.txt', 'ts,v\n1,2\n'),
      await transitFile(m, 'internet/internet_2026-11-24.txt', 'online\n'),
    ];
    await placeAsNobody(m, items, m.dir, true);
  },
  // fusefat mounts for root alone (mode 700, no allow_other): nobody cannot even look in.
  { formats: ['exfat'] },
);

onCards(
  'an archive folder on an exFAT disk mounted by root: the refused times are logged about the disk, not a card',
  async (m, _format, t) => {
    const why = cannotDropPrivileges();
    if (why) return t.skip(why);
    // A lab desktop's USB disk, its archive a folder on it (no mount-point check). The logger
    // wrote the file yesterday: the copy, stamped with the time it was written, differs.
    const folder = join(m.dir, 'archive');
    await mkdir(folder);
    const item = await transitFile(m, 'RDL/USB0/2026-11/RDL_2026-11-24_USB0.txt', 'ts,v\n1,2\n');
    const yesterday = new Date(Date.now() - 86_400_000);
    await utimes(item.localPath, yesterday, yesterday);
    const { warnings } = await placeAsNobody(m, [item], folder, false);
    const refused = warnings.find((w) => w.includes('refused the logger’s time'));
    assert.ok(refused, `the refused time is logged: ${warnings.join(' | ')}`);
    // Before: "the card refused … mount the card with the uid …" for a plain folder.
    assert.doesNotMatch(refused, /card/);
    assert.match(refused, /mount that disk with the uid of the user running RDL Sync/);
    // A card keeps its words.
    const onCard = await transitFile(m, 'internet/internet_2026-11-24.txt', 'online\n');
    await utimes(onCard.localPath, yesterday, yesterday);
    const cardWarnings = (await placeAsNobody(m, [onCard], m.dir, true)).warnings;
    assert.ok(cardWarnings.some((w) => /the card refused the logger’s time/.test(w)));
  },
  { formats: ['exfat'] },
);

onCards(
  'the card unmounted mid-copy (umount -l): the leg is blocked, and nothing is written into the bare mount point',
  async (m) => {
    const item = await transitFile(m, 'cameras/reolink1/2026-11-24/2026-11-24_10_15.jpg', '');
    const size = 16 * 1024 * 1024;
    await writePatternFile(item.localPath, size, 5);
    const outcomes: PlaceOutcome[] = [];
    let unmounted = false;
    const blocked = await leg(m).place([{ ...item, size }], {
      onOutcome: (o) => outcomes.push(o),
      onProgress: (_rel, bytes) => {
        if (!unmounted && bytes >= 4 * 1024 * 1024) {
          unmounted = true;
          unmount(m.dir); // lazy: the copy in hand goes on writing to the detached card
        }
      },
    });
    assert.ok(unmounted, 'the card was unmounted during the copy');
    assert.equal(blocked?.code, 'archive-missing', blocked?.message);
    assert.match(blocked?.message ?? '', /files wait safely in transit/);
    assert.deepEqual(
      outcomes.filter((o) => !o.ok),
      [],
      'the file is not failed for it',
    );
    assert.deepEqual(await readdir(m.dir), [], 'not a byte in the mount point of the missing card');
  },
);

// Without hard links, "place unless the name is taken" is a look, then a rename. The copies of a
// group are placed together, and two names such a card takes for one (it ignores case) both saw
// the name free: the second rename replaced the first copy (real-card-engine.test.ts lost
// 'internet/status.txt' so in about half its runs once the copies of a group were placed at once).
onCards(
  'two copies placed at once under names the card takes for one: neither replaces the other',
  async (m) => {
    await mkdir(join(m.dir, 'internet'));
    const work = join(m.dir, 'work');
    await mkdir(work);
    const tries = ['status.txt', 'STATUS.txt', 'Status.txt'];
    for (const [i, name] of tries.entries()) await writeFile(join(work, `${i}.tmp`), `${name}\n`);
    const results = await Promise.all(
      tries.map((name, i) =>
        placeWithoutReplacing(join(work, `${i}.tmp`), join(m.dir, 'internet', name)),
      ),
    );
    assert.deepEqual(
      results.filter((r) => r === 'placed').length,
      1,
      `one name placed, the others told it is taken: ${results.join(', ')}`,
    );
    const placed = tries[results.indexOf('placed')]!;
    const onCard = await readdir(join(m.dir, 'internet'));
    assert.equal(onCard.length, 1, onCard.join(', '));
    assert.equal(await readFile(join(m.dir, 'internet', onCard[0]!), 'utf8'), `${placed}\n`);
    // The copies told "taken" are left where they were, for the caller's keep-both name.
    assert.equal((await readdir(work)).length, tries.length - 1);
  },
);
