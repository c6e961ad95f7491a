// A hub switching over from the old syncer: it uploaded and archived files while their logger was
// still writing them, so Dropbox and 4_synced may hold the beginning of a file whose whole version
// now waits in transit. Kept beside as `name (1).txt`, the sites' merge tool (it concatenates every
// .txt below a site) read those lines twice. A copy that holds exactly the file's first bytes is
// replaced by the whole file, on both legs; any other different copy is still kept beside it,
// never overwritten. A real engine, the emulator over HTTP through the SDK, real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { contentHashOf } from '../../src/engine/dropbox/content-hash.js';
import { withHarness } from './harness.js';

const LINE = (i: number): string => `2026-12-02 ${String(i).padStart(5, '0')},21.5,48.2\n`;
const lines = (n: number): string => Array.from({ length: n }, (_, i) => LINE(i)).join('');
const hash = (s: string): string => contentHashOf(Buffer.from(s));

test('the beginning of a file on Dropbox and on the card is replaced by the whole file, not kept beside it', async () => {
  await withHarness({}, async (h) => {
    const whole = lines(300);
    const rels = {
      // Dropbox and the card hold its first 120 lines (the old syncer's copies).
      cut: 'RDL/USB0/2026-12/RDL_2026-12-02_USB0.txt',
      // A small file placed through the packed uploads and a large one through its own session.
      big: 'RDL/USB0/2026-12/RDL_2026-12-03_USB0.txt',
      // Different bytes, not its beginning: someone else's file, kept beside as before.
      other: 'RDL/USB0/2026-12/RDL_2026-12-04_USB0.txt',
      // Empty there: what an interrupted upload leaves most; nothing of it can be lost.
      empty: 'RDL/USB0/2026-12/RDL_2026-12-05_USB0.txt',
    };
    const big = lines(200_000); // about 6 MB: more than one 4 MiB chunk
    const remote = (rel: string): string => `/RDL/site1/${rel}`;
    const card = (rel: string): string => path.join(h.archiveDir, ...rel.split('/'));
    const seed = async (rel: string, bytes: string): Promise<void> => {
      h.emulator.putFile(remote(rel), Buffer.from(bytes));
      await fs.mkdir(path.dirname(card(rel)), { recursive: true });
      await fs.writeFile(card(rel), bytes);
    };
    await seed(rels.cut, whole.slice(0, LINE(0).length * 120));
    await seed(rels.big, big.slice(0, 5_000_000));
    await seed(rels.other, 'a different file\n');
    await seed(rels.empty, '');
    await h.drop(rels.cut, whole);
    await h.drop(rels.big, big);
    await h.drop(rels.other, whole);
    await h.drop(rels.empty, whole);

    const report = await h.engine.runPassNow();
    assert.equal(report.fileFailures, 0, JSON.stringify(report));
    for (const [rel, bytes] of [
      [rels.cut, whole],
      [rels.big, big],
      [rels.empty, whole],
    ] as const) {
      assert.equal(h.emulator.getFile(remote(rel))?.contentHash, hash(bytes), `${rel} on Dropbox`);
      assert.ok((await fs.readFile(card(rel), 'utf8')) === bytes, `${rel} whole on the card`);
      const beside = rel.replace(/\.txt$/, ' (1).txt');
      assert.equal(h.emulator.getFile(remote(beside)), undefined, `no ${beside} on Dropbox`);
      await assert.rejects(fs.stat(card(beside)), { code: 'ENOENT' }, `no ${beside} on the card`);
    }
    // Not its beginning: both kept, under the keep-both name.
    const otherBeside = rels.other.replace(/\.txt$/, ' (1).txt');
    assert.equal(h.emulator.getFile(remote(rels.other))?.contentHash, hash('a different file\n'));
    assert.equal(h.emulator.getFile(remote(otherBeside))?.contentHash, hash(whole));
    assert.equal(await fs.readFile(card(rels.other), 'utf8'), 'a different file\n');
    assert.ok((await fs.readFile(card(otherBeside), 'utf8')) === whole);
  });
});
