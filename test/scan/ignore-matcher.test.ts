// compileIgnore joins each kind of pattern into one regular expression (ignore.ts, anyOf) instead
// of picomatch's list matcher: it must answer exactly as picomatch does, for the defaults and for
// the globs people write (braces, classes, extglobs, negations, a name that holds glob characters
// as they are, paths), case-sensitively or not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import picomatch from 'picomatch';
import { compileIgnore, isDropboxIgnoredName } from '../../src/engine/scan/ignore.js';
import { DEFAULT_IGNORE_PATTERNS } from '../../src/engine/settings/schema.js';

const PATTERN_SETS: string[][] = [
  [...DEFAULT_IGNORE_PATTERNS],
  ['*.{tmp,bak}', 'data[0-9].csv', '+(a|b).log', '!keep*', 'a[1].txt', 'x?y', '*~', 'x(1).csv'],
  ['@(draft|old)-*', '*.CSV', '[!r]*.dat', 'a\\*b', '.git', 'RDL/USB0/*.tmp', '/cameras/**/x.jpg'],
];

const NAMES = [
  'rec-1.csv',
  'REC-1.CSV',
  '.hidden',
  '.x.tmp',
  'a.tmp',
  'A.TMP',
  'b.part',
  'c.swp',
  'd.crdownload',
  '~$doc.docx',
  'desktop.ini',
  'Desktop.INI',
  'thumbs.db',
  'Thumbs.db',
  'icon\r',
  'Icon\r',
  'x.bak',
  'data3.csv',
  'dataX.csv',
  'a.log',
  'ab.log',
  'c.log',
  'keep.me',
  'other',
  'a[1].txt',
  'a1.txt',
  'xzy',
  'xy',
  'file~',
  'draft-1',
  'old-2',
  'new-3',
  'r.dat',
  's.dat',
  'a*b',
  'aXb',
  '.git',
  '.gitignore',
  'é.tmp',
  'ñame.csv',
  '%2F.csv',
  'tmp',
];
const RELS = [
  'RDL/USB0/a.tmp',
  'RDL/USB1/a.tmp',
  'cameras/cam1/x.jpg',
  'cameras/a/b/x.jpg',
  'x.jpg',
];

for (const nocase of [false, true]) {
  test(`the ignore matcher answers as picomatch does (nocase ${nocase})`, () => {
    const options = { dot: true, nocase };
    for (const patterns of PATTERN_SETS) {
      const ours = compileIgnore(patterns, { nocase });
      const byName = patterns.filter((p) => !p.includes('/'));
      const byPath = patterns.filter((p) => p.includes('/')).map((p) => p.replace(/^\/+/, ''));
      const theirs = (name: string, rel?: string): boolean =>
        isDropboxIgnoredName(name) ||
        (byName.length > 0 && Boolean(picomatch(byName, options)(name))) ||
        (rel !== undefined && byPath.length > 0 && Boolean(picomatch(byPath, options)(rel)));
      for (const name of NAMES)
        assert.equal(ours(name), theirs(name), `${JSON.stringify(patterns)} on ${name}`);
      for (const rel of RELS) {
        const name = rel.slice(rel.lastIndexOf('/') + 1);
        assert.equal(ours(name, rel), theirs(name, rel), `${JSON.stringify(patterns)} on ${rel}`);
      }
    }
  });
}

test('a pattern that names a file with glob characters in it matches that name as it is', () => {
  // picomatch's expression for 'copy(1).csv' does not match that name; its matcher does.
  const ignore = compileIgnore(['copy(1).csv', 'report[final].csv'], { nocase: false });
  assert.equal(ignore('copy(1).csv'), true);
  assert.equal(ignore('copy1.csv'), true, 'as a glob too, as picomatch reads it');
  assert.equal(ignore('copy2.csv'), false);
  assert.equal(ignore('report[final].csv'), true);
  assert.equal(ignore('reportf.csv'), true, 'as a glob too, as picomatch reads it');
  assert.equal(ignore('report.csv'), false);
});
