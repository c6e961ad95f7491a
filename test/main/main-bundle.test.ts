// The tray app's main-process bundle as scripts/build.mjs writes it (issue 11, defect 7: idle
// memory). Built for real into a temp folder, then read: what an idle tray app loads at start is
// the static import graph of main.mjs (the entry) and of the app it always imports (src/main/
// main.ts); the demo's emulator, the --headless CLI and nodemailer must sit behind dynamic imports;
// the entry itself must not import the app statically (V8's compile cache for --headless is turned
// on before the app is compiled, see src/main/entry.ts); and every file must be ASCII, since V8
// holds a script's source in the heap at two bytes a character as soon as one character is beyond
// Latin-1. The tray app's settings are written by electron-store, the CLI's by conf.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildAll } from '../../scripts/build.mjs';
import { chunksWith, staticGraph } from '../cli/bundle-graph.js';

test('the main bundle loads the emulator, the CLI and nodemailer only when asked, and is ASCII', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-main-bundle-'));
  try {
    const dist = await buildAll({ dist: path.join(work, 'dist') });
    const mainDir = path.join(dist, 'main');
    // esbuild heads each module in a chunk with a comment naming its path.
    const only = (what: string, marker: string): string => {
      const found = chunksWith(mainDir, marker);
      assert.equal(found.length, 1, `${what} in one chunk: ${found.join(', ')}`);
      return found[0]!;
    };
    const entry = staticGraph(mainDir, 'main.mjs');
    const app = only('the app', '// src/main/main.ts');
    const engine = only('the engine', '// src/engine/engine.ts');
    assert.ok(
      !entry.has(app) && !entry.has(engine),
      `the entry imports the app statically: ${[...entry]}`,
    );
    const atStart = new Set([...entry, ...staticGraph(mainDir, app)]);
    assert.ok(atStart.has(engine), 'the tray app runs the engine from the start');
    const parts: [string, string][] = [
      ['nodemailer', 'node_modules/nodemailer/'],
      ['the Dropbox emulator', '// tools/emulator/emulator.ts'],
      ['the headless CLI', '// src/cli/main.ts'],
    ];
    for (const [what, marker] of parts) {
      const chunk = only(what, marker);
      assert.ok(!atStart.has(chunk), `${what} is loaded at start: ${[...atStart].join(', ')}`);
    }
    // The tray app writes its settings with electron-store (src/main/settings-file.ts); the CLI,
    // which runs without Electron, with conf, which electron-store is built on.
    const store = only('electron-store', 'node_modules/electron-store/');
    assert.ok(atStart.has(store), 'the tray app does not write its settings with electron-store');
    assert.deepEqual(
      chunksWith(path.join(dist, 'cli'), 'node_modules/electron-store/'),
      [],
      'electron-store (which imports electron) is in the CLI bundle',
    );
    assert.ok(chunksWith(path.join(dist, 'cli'), 'node_modules/conf/').length > 0, 'conf');
    for (const dir of ['main', 'cli']) {
      for (const f of fs.readdirSync(path.join(dist, dir)).filter((n) => n.endsWith('.mjs'))) {
        const text = fs.readFileSync(path.join(dist, dir, f), 'utf8');
        const at = [...text].findIndex((c) => c.charCodeAt(0) > 0x7f);
        assert.equal(
          at,
          -1,
          `${dir}/${f} has a non-ASCII character near: ${text.slice(at - 40, at + 10)}`,
        );
      }
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
});
