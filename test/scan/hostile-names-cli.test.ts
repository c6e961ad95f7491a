// Names in the watch folder are chosen by whoever writes it. After a real `rdl-sync once` against
// the emulator, what the CLI prints about those files (once, history, status) and what the log
// holds must be one line per line, with no escape sequence reaching the terminal: a newline in a
// name printed a made-up line ("[error] Dropbox access revoked"), ESC ] 0 ; ... BEL retitled the
// terminal window.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli, writeFileIn } from '../cli/cli-harness.js';

let emulator: Emulator;
const roots: string[] = [];

before(async () => {
  emulator = await startEmulator({});
});

after(async () => {
  await emulator.close();
  for (const r of roots) await fs.rm(r, { recursive: true, force: true });
});

const FORGED = 'evil\n2026-12-02 10:00:00  FAILED  Dropbox access revoked.csv';
/** A top folder (a "source" the status names) whose name retitles a terminal. */
const TITLE_DIR = 'cam\u001b]0;pwned\u0007';
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNPRINTABLE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e]/u;

function assertPlainLines(what: string, text: string, lineStart: RegExp): void {
  assert.doesNotMatch(
    text,
    UNPRINTABLE,
    `${what} printed a control character: ${JSON.stringify(text)}`,
  );
  for (const line of text.trimEnd().split('\n'))
    assert.match(line, lineStart, `${what}: a line the CLI did not write: ${JSON.stringify(line)}`);
}

test('once, history and status print hostile names escaped, one line each', async () => {
  const dirs = await makeDirs('rdl-hostile-names-');
  roots.push(dirs.root);
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Lake' }), emulator);
  await writeFileIn(dirs.watchDir, FORGED, 'a\n');
  await writeFileIn(dirs.watchDir, `${TITLE_DIR}/0001.jpg`, 'jpeg');
  await writeFileIn(dirs.watchDir, 'RDL/plain.csv', 'b\n');
  const env = { home: dirs.root };
  const args = ['--config-dir', dirs.configDir];

  const once = await runCli(['once', ...args], env);
  assert.equal(once.code, 0, once.stdout + once.stderr);
  assert.match(once.stdout, /done 3/);

  const history = await runCli(['history', ...args], env);
  assert.equal(history.code, 0, history.stderr);
  // Every history line is a whole record: a name's newline started one of its own.
  assertPlainLines('history', history.stdout, /^\S.* {2}done {4}.+ {2}dropbox: ok {2}archive: ok$/);
  assert.ok(history.stdout.includes('evil\\n2026-12-02'), history.stdout);
  assert.equal(history.stdout.trimEnd().split('\n').length, 3, history.stdout);

  const status = await runCli(['status', ...args], env);
  assert.equal(status.code, 0, status.stderr);
  assert.doesNotMatch(status.stdout, UNPRINTABLE, JSON.stringify(status.stdout));
  assert.ok(status.stdout.includes('cam\\u001b]0;pwned\\u0007'), status.stdout);

  // The files themselves arrived under their own names, escapes and all.
  assert.ok(emulator.getFile(`/RDL/Lake/${TITLE_DIR}/0001.jpg`), 'the camera file on Dropbox');
  assert.equal(await fs.readFile(path.join(dirs.archiveDir, FORGED), 'utf8'), 'a\n');
});
