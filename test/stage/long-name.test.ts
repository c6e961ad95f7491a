// A name that is too long once escaped for transit (a name that is not UTF-8, or holds many '%'
// or '\', takes three bytes for each such byte: fsutil/name-map.ts) is that file's problem alone.
// It was reported as "Cannot write to the transit folder (ENAMETOOLONG): check that it exists and
// is writable", a blocked transit, which ended staging for the rest of every pass (63 files a
// pass then, with a batch of 64) and blamed the wrong folder.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { stageFile } from '../../src/engine/stage/index.js';
import { StabilityScanner } from '../../src/engine/scan/index.js';
import { removeDir, tempDir } from '../archive/helpers.js';

test('a name too long once escaped fails alone, naming the file and the fix; the others stage', async () => {
  const base = await tempDir('rdl-longname-');
  const watch = join(base, 'watch');
  const transit = join(base, 'transit');
  try {
    await mkdir(watch);
    await mkdir(transit);
    // 100 bytes that are not UTF-8: a legal 104-byte name, 304 bytes once escaped.
    const raw = Buffer.concat([
      Buffer.from(`${watch}/`),
      Buffer.alloc(100, 0xff),
      Buffer.from('.csv'),
    ]);
    fs.writeFileSync(raw, 'x');
    // So are folders: a folder name like that, with a short file in it.
    const rawDir = Buffer.concat([Buffer.from(`${watch}/`), Buffer.alloc(90, 0xfe)]);
    fs.mkdirSync(rawDir);
    fs.writeFileSync(Buffer.concat([rawDir, Buffer.from('/a.csv')]), 'y');
    fs.writeFileSync(join(watch, 'plain.csv'), 'z');
    const scan = await new StabilityScanner({
      watchDir: watch,
      stableSeconds: 0,
      ignorePatterns: [],
    }).scan();
    assert.equal(scan.stable.length, 3);
    const results = await Promise.all(
      scan.stable.map(async (file) => ({
        rel: file.rel,
        r: await stageFile({ watchDir: watch, transitDir: transit, file }),
      })),
    );
    for (const { rel, r } of results) {
      if (rel === 'plain.csv') {
        assert.equal(r.status, 'staged');
        continue;
      }
      assert.equal(r.status, 'failed', `${rel}: ${JSON.stringify(r)}`);
      if (r.status !== 'failed') continue;
      assert.equal(r.error.code, 'malformed-path');
      assert.match(r.error.message, /too long for the transit folder once escaped/);
      assert.match(
        r.error.message,
        /shorten the file's name \(or its folder's\); it stays where it is/,
      );
      assert.ok(r.error.message.includes(rel), 'names the file');
    }
    assert.deepEqual(await readdir(transit), ['plain.csv']);
    assert.equal(fs.readFileSync(raw, 'utf8'), 'x', 'the file stays where it is');
  } finally {
    await removeDir(base);
  }
});

// Named by its escaped form ("b2/sss…%20"), the file could not be found with `ls`, and its
// trailing space could not be seen (adversarial-files trial): named as it is on disk, quoted.
test('a name too long once escaped is named as it is in the watch folder, quoted', async () => {
  const base = await tempDir('rdl-longname-shown-');
  const watch = join(base, 'watch');
  const transit = join(base, 'transit');
  try {
    await mkdir(join(watch, 'b2'), { recursive: true });
    await mkdir(transit);
    const name = `${'s'.repeat(254)} `; // 255 bytes; its trailing space is escaped as %20
    fs.writeFileSync(join(watch, 'b2', name), 'x');
    const scan = await new StabilityScanner({
      watchDir: watch,
      stableSeconds: 0,
      ignorePatterns: [],
    }).scan();
    const [file] = scan.stable;
    assert.ok(file);
    const r = await stageFile({ watchDir: watch, transitDir: transit, file });
    assert.equal(r.status, 'failed', JSON.stringify(r));
    assert.equal(
      r.status === 'failed' ? r.error.message : '',
      `The name "b2/${name}" (${file.rel} once escaped for transit) is too long for the transit folder once escaped (at most 255 bytes a name): shorten the file's name (or its folder's); it stays where it is`,
    );
  } finally {
    await removeDir(base);
  }
});
