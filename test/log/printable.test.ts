// File names (and the messages quoting them) are chosen by whoever writes the watch folder: a
// newline must not start a made-up log line, an escape sequence must not reach a terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLogger, formatLine } from '../../src/engine/log/logger.js';
import { printable } from '../../src/engine/log/printable.js';
import { createAppLogger } from '../../src/main/log.js';

const FORGED = 'evil\n[2026-12-02 10:00:00.000] [error] Dropbox access revoked';
const TITLE = 'cam\u001b]0;pwned\u0007.jpg';
const BIDI = 'report\u202evsc.exe';
const C1 = 'x\u009b31my\u2028z\u0085.csv';

test('printable escapes controls, separators and bidi overrides; plain names are untouched', () => {
  assert.equal(
    printable(FORGED),
    'evil\\n[2026-12-02 10:00:00.000] [error] Dropbox access revoked',
  );
  assert.equal(printable(TITLE), 'cam\\u001b]0;pwned\\u0007.jpg');
  assert.equal(printable(BIDI), 'report\\u202evsc.exe');
  assert.equal(printable(C1), 'x\\u009b31my\\u2028z\\u0085.csv');
  assert.equal(printable('a\tb\rc'), 'a\\tb\\rc');
  for (const plain of ['RDL/USB0/2026-11-24.csv', 'Ordner ä/Δ 日本 😀.csv', 'bad%FF%FE.csv', '-rf'])
    assert.equal(printable(plain), plain);
});

test('formatLine: a message quoting a name stays one line; its JSON fields stay JSON', () => {
  const line = formatLine(`Window: could not show ${FORGED}`, { rel: `${C1}${BIDI}` });
  assert.equal(line.split('\n').length, 1, line);
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f\u2028\u202e]/u);
  const json = line.slice(line.indexOf('{'));
  assert.deepEqual(JSON.parse(json), { rel: `${C1}${BIDI}` }, 'the escapes are JSON escapes');
});

test('the log file: one line per entry whatever the window or a name holds', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-printable-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'logs', 'rdl-sync-app.log');
  // The app's logger, as main.ts writes the window's errors (logFromWindow: `Window: ${text}`).
  const app = createAppLogger(file);
  app.error(`Window: ${FORGED}`);
  app.warn(`Window: ${TITLE}`);
  const engine = createLogger({ file: path.join(dir, 'logs', 'engine.log') });
  engine.warn(`file failed ${FORGED}`, { rel: TITLE });
  for (const f of [file, engine.file]) {
    const lines = fs.readFileSync(f, 'utf8').trimEnd().split('\n');
    assert.ok(
      lines.every((l) => /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[(warn|error)\]/.test(l)),
      `a line not written by the logger: ${JSON.stringify(lines)}`,
    );
    assert.ok(!lines.some((l) => l.includes('\u001b')), 'an escape sequence reached the file');
  }
});
