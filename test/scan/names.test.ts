// Names that are not plain UTF-8 text (Latin-1 bytes, a backslash, '%XX', the reserved folder)
// still sync, under one lossless mapped name that transit, Dropbox and the card all use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { bytesFromName, isEscapedName, nameFromBytes } from '../../src/engine/fsutil/name-map.js';
import { rawPathOf } from '../../src/engine/fsutil/rel-path.js';
import { StabilityScanner } from '../../src/engine/scan/index.js';
import {
  TRANSIT_TEMP_DIR,
  cleanupTransitTemps,
  listTransit,
  stageFile,
} from '../../src/engine/stage/index.js';
import { DEFAULT_IGNORE_PATTERNS } from '../../src/engine/settings/schema.js';
import { canMount, mountTmpfs, unmount } from '../archive/helpers.js';
import { removeDir, tempDir } from './helpers.js';

const b = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

const reserved = new Set([TRANSIT_TEMP_DIR]);

test('name mapping: plain names unchanged; others escaped visibly; every name comes back byte for byte', () => {
  const cases: [Buffer, string][] = [
    [b('RDL_2026-11-24_USB0.txt'), 'RDL_2026-11-24_USB0.txt'],
    [b('Ordner ä Δ 😀.csv'), 'Ordner ä Δ 😀.csv'],
    [b('50%.csv'), '50%.csv'], // '%' not followed by two hex digits: plain
    [b('caf', [0xe9], '.csv'), 'caf%E9.csv'], // Latin-1 é
    [b('caf%E9.csv'), 'caf%25E9.csv'], // a real name that looks like an escape
    [b('a\\b.csv'), 'a%5Cb.csv'], // would be a folder on Dropbox
    [b('ä', [0xe9], '%', '\\'), 'ä%E9%25%5C'], // valid text kept around escapes
    [b([0xef, 0xbb, 0xbf], 'bom.csv'), '\ufeffbom.csv'], // a BOM is a character, kept
    [b('x', [0xe2, 0x82]), 'x%E2%82'], // a cut multi-byte sequence
    [b([0xc0, 0xaf]), '%C0%AF'], // overlong '/'
    [b([0xed, 0xa0, 0x80]), '%ED%A0%80'], // a UTF-16 surrogate
    [b('.rdl-sync-tmp'), '.rdl-sync-tmp'], // only reserved at the top (see below)
    [b('data.csv '), 'data.csv%20'], // Dropbox refuses a name that ends in a space
    [b('two  '), 'two %20'], // only the last character: the name no longer ends in one
    [b('tab\t'), 'tab%09'],
    [b(' lead.csv'), ' lead.csv'], // a leading or inner space is fine
    [b('caf', [0xe9], ' '), 'caf%E9%20'],
  ];
  const seen = new Set<string>();
  for (const [raw, mapped] of cases) {
    const name = nameFromBytes(raw);
    assert.equal(name, mapped, `mapping of ${raw.toString('hex')}`);
    assert.ok(bytesFromName(name).equals(raw), `round trip of ${mapped}`);
    assert.ok(!name.includes('\\') && !name.includes('/'));
    assert.equal(isEscapedName(name), !raw.equals(Buffer.from(name)));
    seen.add(name);
  }
  assert.equal(seen.size, cases.length, 'no two names share a mapped name');
  const top = nameFromBytes(b('.rdl-sync-tmp'), { reserved });
  assert.equal(top, '%2Erdl-sync-tmp');
  assert.ok(bytesFromName(top).equals(b('.rdl-sync-tmp')));
});

test('name mapping is lossless and injective over 20,000 random byte names', () => {
  let seed = 0x9e3779b9;
  const rand = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  // Bytes biased towards the interesting ones: '%', '\\', hex digits, UTF-8 lead and tail bytes.
  const alphabet = [
    0x25, 0x5c, 0x41, 0x65, 0x30, 0x2e, 0xc3, 0xa9, 0xe9, 0xe2, 0x82, 0xac, 0xff, 0x20, 0x09,
  ];
  const byMapped = new Map<string, string>();
  for (let i = 0; i < 20_000; i++) {
    const len = 1 + Math.floor(rand() * 8);
    const raw = Buffer.from(
      Array.from({ length: len }, () =>
        rand() < 0.7
          ? (alphabet[Math.floor(rand() * alphabet.length)] as number)
          : 1 + Math.floor(rand() * 254),
      ).map((x) => (x === 0x2f ? 0x30 : x)), // '/' cannot be in a name
    );
    const name = nameFromBytes(raw);
    assert.ok(bytesFromName(name).equals(raw), `round trip of ${raw.toString('hex')}`);
    assert.ok(Buffer.from(name, 'utf8').toString('utf8') === name, 'the mapped name is text');
    assert.ok(!/[ \t\n\v\f\r]$/.test(name), `the mapped name ends in whitespace: ${name}`);
    const before = byMapped.get(name);
    assert.ok(before === undefined || before === raw.toString('hex'), `collision on ${name}`);
    byMapped.set(name, raw.toString('hex'));
  }
});

async function makeAwkwardTree(watch: string): Promise<Record<string, string>> {
  const w = Buffer.from(watch);
  const files: [Buffer, string, string][] = [
    [b('/caf', [0xe9], '.csv'), 'caf%E9.csv', 'latin-1 name'],
    [b('/caf%E9.csv'), 'caf%25E9.csv', 'looks like an escape'],
    [b('/d', [0xe9], 'p/x.csv'), 'd%E9p/x.csv', 'in a latin-1 folder'],
    [b('/a\\b.csv'), 'a%5Cb.csv', 'backslash'],
    [b('/.rdl-sync-tmp/u.csv'), '%2Erdl-sync-tmp/u.csv', 'user folder named like ours'],
  ];
  const expected: Record<string, string> = {};
  for (const [tail, rel, body] of files) {
    const p = Buffer.concat([w, tail]);
    const dir = p.subarray(0, p.lastIndexOf(0x2f));
    await mkdir(dir, { recursive: true });
    await writeFile(p, body);
    expected[rel] = body;
  }
  return expected;
}

/** Files still below `dir` (find(1): Node's recursive readdir cannot walk non-UTF-8 names). */
function filesLeft(dir: string): string[] {
  const r = spawnSync('find', [dir, '-type', 'f'], { encoding: 'latin1' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.split('\n').filter((l) => l !== '');
}

async function stageAll(watch: string, transit: string): Promise<Record<string, string>> {
  const scan = await new StabilityScanner({
    watchDir: watch,
    stableSeconds: 0,
    ignorePatterns: [], // dotfiles synced too
  }).scan();
  assert.deepEqual(scan.errors, []);
  const out: Record<string, string> = {};
  for (const file of scan.stable) {
    const r = await stageFile({ watchDir: watch, transitDir: transit, file });
    assert.equal(r.status, 'staged', `${file.rel}: ${JSON.stringify(r)}`);
    out[file.rel] = await readFile(join(transit, ...file.rel.split('/')), 'utf8');
  }
  return out;
}

test('non-UTF-8, backslash, %XX and reserved names: scanned, staged under their mapped name, originals moved', async () => {
  const base = await tempDir();
  const watch = join(base, 'watch');
  const transit = join(base, 'transit');
  await mkdir(watch);
  await mkdir(transit);
  try {
    const expected = await makeAwkwardTree(watch);
    // With the default patterns, the dot-folder is ignored by its on-disk name, not its mapped one.
    const dflt = await new StabilityScanner({
      watchDir: watch,
      stableSeconds: 0,
      ignorePatterns: DEFAULT_IGNORE_PATTERNS,
    }).scan();
    assert.ok(!dflt.stable.some((f) => f.rel.startsWith('%2E')), 'ignored as a dot-folder');

    assert.deepEqual(await stageAll(watch, transit), expected);
    // The originals (found from the rel alone) left the watch folder; only folders remain.
    assert.deepEqual(filesLeft(watch), []);
    // Transit holds plain text names only; the queue lists them as the same rels.
    const listed: string[] = [];
    for await (const f of listTransit(transit)) listed.push(f.rel);
    assert.deepEqual(listed.sort(), Object.keys(expected).sort());
    assert.equal(await cleanupTransitTemps(transit), 0, 'the user folder is not our temps');
    assert.equal(
      await readFile(join(transit, '%2Erdl-sync-tmp', 'u.csv'), 'utf8'),
      expected['%2Erdl-sync-tmp/u.csv'],
    );
    assert.ok(Buffer.isBuffer(rawPathOf(watch, 'caf%E9.csv')));
    assert.equal(rawPathOf(watch, 'a%5Cb.csv'), join(watch, 'a\\b.csv'));
  } finally {
    await removeDir(base);
  }
});

test('the same names across disks (transit on a real tmpfs): copied from the byte-named original', async (t) => {
  if (!(await canMount())) return t.skip('this sandbox does not allow mounts');
  const base = await tempDir();
  const watch = join(base, 'watch');
  const transit = join(base, 'transit');
  await mkdir(watch);
  await mkdir(transit);
  mountTmpfs(transit, 1024);
  try {
    const expected = await makeAwkwardTree(watch);
    assert.deepEqual(await stageAll(watch, transit), expected);
    assert.deepEqual(filesLeft(watch), []);
  } finally {
    unmount(transit);
    await removeDir(base);
  }
});
