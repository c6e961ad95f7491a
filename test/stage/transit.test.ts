import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, stat, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  listTransit,
  removeFromTransit,
  cleanupTransitTemps,
  TRANSIT_TEMP_DIR,
  type TransitFile,
  removeLegacyTransitTemps,
} from '../../src/engine/stage/index.js';
import { isIgnored } from '../../src/engine/scan/index.js';
import { DEFAULT_IGNORE_PATTERNS } from '../../src/engine/settings/schema.js';
import { makeTooDeepTree, removeDeep, removeDir, tempDir } from '../archive/helpers.js';
import { put } from '../scan/helpers.js';

async function list(dir: string): Promise<TransitFile[]> {
  const out: TransitFile[] = [];
  for await (const f of listTransit(dir)) out.push(f);
  return out.sort((a, b) => (a.rel < b.rel ? -1 : 1));
}

test('listTransit streams every queued file with / rels, skipping the reserved temps folder and links', async () => {
  const transit = await tempDir('rdl-transit-');
  try {
    await put(transit, 'USB0/a.csv', 'aa', 1_700_000_000_000);
    await put(transit, 'USB0/deep/ß b.csv', 'bbb');
    await put(transit, 'top.csv', '');
    await put(transit, `${TRANSIT_TEMP_DIR}/stage-0123abcd`, 'partial');
    // A user's file that merely looks like an old engine temp, and a deeper folder of the
    // reserved name (only the top one is ours): both are the user's.
    await put(transit, 'USB0/.rdl-stage-0123abcd', 'user file');
    await put(transit, `USB0/${TRANSIT_TEMP_DIR}/deeper.csv`, 'user file too');
    await symlink(join(transit, 'top.csv'), join(transit, 'link.csv'));
    const files = await list(transit);
    assert.deepEqual(
      files.map((f) => [f.rel, f.size]),
      [
        ['USB0/.rdl-stage-0123abcd', 9],
        ['USB0/.rdl-sync-tmp/deeper.csv', 13],
        ['USB0/a.csv', 2],
        ['USB0/deep/ß b.csv', 3],
        ['top.csv', 0],
      ],
    );
    assert.equal(files[2]?.absPath, join(transit, 'USB0', 'a.csv'));
    assert.equal(files[2]?.mtimeMs, 1_700_000_000_000);
  } finally {
    await removeDir(transit);
  }
});

test('listTransit of a transit folder that does not exist yet yields nothing', async () => {
  const base = await tempDir('rdl-transit-');
  try {
    assert.deepEqual(await list(join(base, 'not-yet')), []);
  } finally {
    await removeDir(base);
  }
});

test('removeFromTransit removes the file and emptied folders, never transit itself or busy folders', async () => {
  const transit = await tempDir('rdl-transit-');
  try {
    await put(transit, 'a/b/c/one.csv', '1');
    await put(transit, 'a/two.csv', '2');
    await removeFromTransit(transit, 'a/b/c/one.csv');
    assert.deepEqual(await readdir(join(transit, 'a')), ['two.csv']);
    await removeFromTransit(transit, 'a/two.csv');
    assert.deepEqual(await readdir(transit), []);
    assert.ok((await stat(transit)).isDirectory());
    await removeFromTransit(transit, 'a/two.csv'); // already gone: fine (idempotent after a crash)
    await assert.rejects(removeFromTransit(transit, '../outside.csv'), /Invalid relative path/);
  } finally {
    await removeDir(transit);
  }
});

test('cleanupTransitTemps empties only the reserved folder; user files named like temps stay', async () => {
  const transit = await tempDir('rdl-transit-');
  try {
    await put(transit, `${TRANSIT_TEMP_DIR}/stage-aa`, 'x');
    await put(transit, `${TRANSIT_TEMP_DIR}/stage-bb`, 'y');
    await put(transit, `${TRANSIT_TEMP_DIR}/odd/left-over`, 'z');
    await put(transit, 'd/real.csv', 'keep');
    await put(transit, 'd/.rdl-stage-bb', 'a user file with an old temp-like name');
    await put(transit, '.rdl-partial-cc', 'another');
    await mkdir(join(transit, 'empty'));
    assert.equal(await cleanupTransitTemps(transit), 3);
    assert.deepEqual(
      (await list(transit)).map((f) => f.rel),
      ['.rdl-partial-cc', 'd/.rdl-stage-bb', 'd/real.csv'],
    );
    assert.deepEqual((await readdir(transit)).sort(), ['.rdl-partial-cc', 'd', 'empty']);
    assert.equal(await cleanupTransitTemps(join(transit, 'missing')), 0);
  } finally {
    await removeDir(transit);
  }
});

test('listTransit reports a part it cannot read through onError and lists the rest', async () => {
  const transit = await tempDir('rdl-transit-');
  try {
    await put(transit, 'ok.csv', 'fine');
    makeTooDeepTree(transit);
    const errors: string[] = [];
    const listed: string[] = [];
    for await (const f of listTransit(transit, {
      onError: (rel, e) =>
        errors.push(`${rel.slice(0, 7)} ${String((e as { code?: string }).code)}`),
    })) {
      listed.push(f.rel);
    }
    assert.deepEqual(listed, ['ok.csv']);
    assert.deepEqual(errors, ['deep/dd ENAMETOOLONG']);
  } finally {
    removeDeep(transit);
  }
});

test('listTransit passes over the files the caller already knows, and lists the rest', async () => {
  const transit = await tempDir('rdl-transit-');
  try {
    await put(transit, 'USB0/staged-1.csv', 'a');
    await put(transit, 'USB0/staged-2.csv', 'b');
    await put(transit, 'USB0/left-over.csv', 'c');
    await put(transit, 'cam/deep/old.raw', 'd');
    const known = new Set(['USB0/staged-1.csv', 'USB0/staged-2.csv']);
    const asked: string[] = [];
    const listed: string[] = [];
    for await (const f of listTransit(transit, {
      known: (rel) => {
        asked.push(rel);
        return known.has(rel);
      },
    })) {
      listed.push(f.rel);
    }
    assert.deepEqual(listed.sort(), ['USB0/left-over.csv', 'cam/deep/old.raw']);
    // Asked about every name below transit, folders included (it is asked before any look).
    assert.deepEqual(asked.sort(), [
      'USB0',
      'USB0/left-over.csv',
      'USB0/staged-1.csv',
      'USB0/staged-2.csv',
      'cam',
      'cam/deep',
      'cam/deep/old.raw',
    ]);
  } finally {
    await removeDir(transit);
  }
});

test('upgrade: staging copies an earlier version left beside the files are removed only where no user file can have their name', async () => {
  const transit = await tempDir('rdl-transit-legacy-');
  try {
    const legacy = '.rdl-stage-0123456789abcdef';
    await put(transit, `RDL/USB0/${legacy}`, 'half a copy');
    await put(transit, 'RDL/USB0/day.csv', 'queued');
    await put(transit, 'RDL/USB0/.rdl-stage-notours', 'a user file');
    await put(transit, `${TRANSIT_TEMP_DIR}/${legacy}`, 'in the reserved folder');
    // Dotfiles synced (a user changed the ignore patterns): such a name may be a user's file.
    const dotfilesSynced = (_name: string): boolean => true;
    assert.equal(await removeLegacyTransitTemps(transit, dotfilesSynced), 0);
    assert.ok(await stat(join(transit, 'RDL', 'USB0', legacy)));
    // Default patterns ignore dotfiles: no user file of that name can be in transit.
    const defaults = (name: string): boolean => !isIgnored(name, DEFAULT_IGNORE_PATTERNS);
    assert.equal(await removeLegacyTransitTemps(transit, defaults), 1);
    assert.deepEqual((await readdir(join(transit, 'RDL', 'USB0'))).sort(), [
      '.rdl-stage-notours',
      'day.csv',
    ]);
    assert.ok(
      await stat(join(transit, TRANSIT_TEMP_DIR, legacy)),
      'the reserved folder is not its business',
    );
    assert.equal(await removeLegacyTransitTemps(join(transit, 'missing'), defaults), 0);
  } finally {
    await removeDir(transit);
  }
});
