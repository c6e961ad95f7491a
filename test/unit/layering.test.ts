// Proves the layering rule of DESIGN.md is enforced by lint, not by memory.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: new URL('../..', import.meta.url).pathname });

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

test('src/engine may not import electron', async () => {
  const ids = await ruleIds(
    "import { app } from 'electron';\nexport const a = app;\n",
    'src/engine/probe.ts',
  );
  assert.ok(ids.includes('no-restricted-imports'), `got ${ids.join(',')}`);
});

test('src/shared may not import electron', async () => {
  const ids = await ruleIds(
    "import { ipcMain } from 'electron';\nexport const a = ipcMain;\n",
    'src/shared/probe.ts',
  );
  assert.ok(ids.includes('no-restricted-imports'));
});

test('src/renderer may not import Node built-ins', async () => {
  for (const mod of ['node:fs', 'fs', 'child_process']) {
    const ids = await ruleIds(
      `import x from '${mod}';\nexport const a = x;\n`,
      'src/renderer/probe.ts',
    );
    assert.ok(ids.includes('no-restricted-imports'), `${mod} was allowed`);
  }
});

test('src/main may import electron', async () => {
  const ids = await ruleIds(
    "import { app } from 'electron';\nexport const a = app;\n",
    'src/main/probe.ts',
  );
  assert.ok(!ids.includes('no-restricted-imports'));
});

// The engine's one surface: src/main and src/cli reach the engine only through its index.
test('src/main and src/cli may import the engine only from src/engine/index.js', async () => {
  for (const dir of ['src/main', 'src/cli']) {
    for (const mod of [
      '../engine/engine.js',
      '../engine/settings/store.js',
      '../engine/status/types.js',
      '../engine/dropbox/doctor.js',
    ]) {
      const ids = await ruleIds(
        `import { x } from '${mod}';\nexport const a = x;\n`,
        `${dir}/probe.ts`,
      );
      assert.ok(
        ids.includes('no-restricted-imports'),
        `${dir} may import ${mod}: ${ids.join(',')}`,
      );
    }
    const ok = await ruleIds(
      "import { createEngine } from '../engine/index.js';\nexport const a = createEngine;\n",
      `${dir}/probe.ts`,
    );
    assert.ok(!ok.includes('no-restricted-imports'), `${dir} refused the index: ${ok.join(',')}`);
  }
});

test('the renderer imports nothing of the engine, not even its index', async () => {
  for (const mod of ['../engine/index.js', '../engine/status/types.js']) {
    const ids = await ruleIds(
      `import type { X } from '${mod}';\nexport type A = X;\n`,
      'src/renderer/probe.ts',
    );
    assert.ok(ids.includes('no-restricted-imports'), `${mod} was allowed`);
  }
  const ok = await ruleIds(
    "import type { StatusSnapshot } from '../shared/engine-types.js';\nexport type A = StatusSnapshot;\n",
    'src/renderer/probe.ts',
  );
  assert.ok(!ok.includes('no-restricted-imports'), ok.join(','));
});

test('src/shared may not import Node built-ins', async () => {
  const ids = await ruleIds(
    "import fs from 'node:fs';\nexport const a = fs;\n",
    'src/shared/probe.ts',
  );
  assert.ok(ids.includes('no-restricted-imports'));
});

// Lint runs on the real tree too: the rule is not only proven on probes, the code obeys it.
test('no file of src/main, src/cli or src/renderer breaks the surface rule today', async () => {
  const results = await eslint.lintFiles([
    'src/main/**/*.ts',
    'src/cli/**/*.ts',
    'src/renderer/**/*.ts',
  ]);
  const broken = results.flatMap((r) =>
    r.messages
      .filter((m) => m.ruleId === 'no-restricted-imports')
      .map((m) => `${r.filePath}:${m.line} ${m.message}`),
  );
  assert.deepEqual(broken, []);
  assert.ok(results.length > 20, `linted only ${results.length} files`);
});
