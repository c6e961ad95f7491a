// The tray app's main-process bundle as scripts/build.mjs writes it (issue 11, defect 7: idle
// memory). Built for real into a temp folder, then read: what an idle tray app loads at start is
// the static import graph from main.mjs; the demo's emulator, the --headless CLI and nodemailer
// must sit behind dynamic imports; and every file must be ASCII, since V8 holds a script's source
// in the heap at two bytes a character as soon as one character is beyond Latin-1.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildAll } from '../../scripts/build.mjs';
import { staticGraph } from '../cli/bundle-graph.js';

test('the main bundle loads the emulator, the CLI and nodemailer only when asked, and is ASCII', async () => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-main-bundle-'));
  try {
    const dist = await buildAll({ dist: path.join(work, 'dist') });
    const mainDir = path.join(dist, 'main');
    const atStart = staticGraph(mainDir, 'main.mjs');
    const chunks = fs.readdirSync(mainDir).filter((f) => f.endsWith('.mjs'));
    const lazy = chunks.filter((f) => !atStart.has(f));
    // esbuild names a chunk it split off at a dynamic import after the module imported.
    const parts: [string, RegExp][] = [
      ['nodemailer', /^nodemailer-\w+\.mjs$/],
      ['the Dropbox emulator', /^emulator-\w+\.mjs$/],
      ['the headless CLI', /^main-\w+\.mjs$/],
    ];
    for (const [what, name] of parts) {
      assert.ok(
        lazy.some((f) => name.test(f)),
        `${what} is not a chunk of its own: ${chunks.join(', ')}`,
      );
      assert.ok(![...atStart].some((f) => name.test(f)), `${what} is loaded at start`);
    }
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
