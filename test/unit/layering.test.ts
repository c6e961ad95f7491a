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
