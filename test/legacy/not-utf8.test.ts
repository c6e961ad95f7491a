// An old config.json saved by a Windows editor as Latin-1 (Windows-1252), and an uploader file
// that is not UTF-8: refused with the file, the line and column and the fix, never the text.
// Read as 'utf8', "Café_Site" became the site "Caf\uFFFD_Site" and the Dropbox folder
// /Professional/WIRED/Caf\uFFFD_Site, without a word (user trial).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { LegacyImportError, prepareLegacyImport } from '../../src/engine/legacy/index.js';
import { firstNonUtf8Byte } from '../../src/engine/legacy/utf8-text.js';
import { currentPiHub } from './fixtures.js';

const current = defaultSettings('/home/pi');

function refusedWith(expected: RegExp, secret: string) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof LegacyImportError, String(e));
    assert.match(e.message, expected);
    assert.ok(!e.message.includes(secret), `the text is never quoted: ${e.message}`);
    assert.ok(!e.message.includes('\uFFFD'), e.message);
    return true;
  };
}

test('a config.json saved as Latin-1 is refused: the file, line and column of the first bad byte, the fix', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-legacy-latin1-'));
  try {
    const hub = await currentPiHub(path.join(dir, 'SHELF3'));
    const config = path.join(hub.root, 'config.json');
    // What the trial's printf made: one line, é as the single byte 0xE9.
    await fs.writeFile(config, Buffer.from('{"SITE":"Caf\xe9_Site"}', 'latin1'));
    await assert.rejects(
      prepareLegacyImport({ root: hub.root, current, unitDirs: [] }),
      refusedWith(
        new RegExp(
          `^The old config\\.json at ${config.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is not UTF-8 \\(the first character that is not: line 1, column 13\\): save the file as UTF-8 \\(in Notepad: Save As, Encoding UTF-8\\)`,
        ),
        'Caf',
      ),
    );
    // Windows line ends, UTF-8 text before the Latin-1 byte: the column counts characters.
    await fs.writeFile(
      config,
      Buffer.concat([
        Buffer.from('{\r\n    "SITE": "Montréal_', 'utf8'),
        Buffer.from('Caf\xe9",\r\n    "SD_CARD_NAME": ""\r\n}\r\n', 'latin1'),
      ]),
    );
    await assert.rejects(
      prepareLegacyImport({ configJsonPath: config, current, unitDirs: [] }),
      refusedWith(/not UTF-8 \(the first character that is not: line 2, column 26\)/, 'Montr'),
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('a Dropbox-Uploader config that is not UTF-8 is refused the same way, its token never quoted', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-legacy-latin1-'));
  try {
    const hub = await currentPiHub(path.join(dir, 'SHELF3'));
    const up = path.join(dir, '.dropbox_uploader');
    await fs.writeFile(
      up,
      Buffer.from('OAUTH_APP_KEY=k1\nOAUTH_REFRESH_TOKEN=tok\xe9n-secret\n', 'latin1'),
    );
    await assert.rejects(
      prepareLegacyImport({ root: hub.root, uploaderConfigPath: up, current, unitDirs: [] }),
      refusedWith(
        /^The Dropbox-Uploader config at .*\.dropbox_uploader is not UTF-8 \(the first character that is not: line 2, column 24\): save the file as UTF-8/,
        'secret',
      ),
    );
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});

test('the first byte that is not UTF-8: overlong forms, surrogates, past U+10FFFF, cut short', () => {
  const at = (...bytes: number[]): number => firstNonUtf8Byte(Uint8Array.from(bytes));
  assert.equal(firstNonUtf8Byte(Buffer.from('plain, é, €, 😀', 'utf8')), -1);
  assert.equal(at(0x41, 0xc0, 0x80), 1, 'overlong /');
  assert.equal(at(0xe0, 0x80, 0x80), 0, 'overlong three-byte');
  assert.equal(at(0xed, 0xa0, 0x80), 0, 'a surrogate');
  assert.equal(at(0xf4, 0x90, 0x80, 0x80), 0, 'past U+10FFFF');
  assert.equal(at(0xf5, 0x80, 0x80, 0x80), 0);
  assert.equal(at(0x41, 0x42, 0xe2, 0x82), 2, 'cut short at the end');
  assert.equal(at(0xc3, 0xa9, 0x80), 2, 'a lone continuation byte');
  assert.equal(at(0xff, 0xfe, 0x7b, 0x00), 0, 'UTF-16 (Notepad’s "Unicode")');
});
