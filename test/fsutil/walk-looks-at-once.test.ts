// How many looks (lstat) a walk has out on the thread pool at once. A walk of a card that stops
// answering holds a thread for each look it has out; a batch of 64 sent at once held all of
// Node's 4, and the rest of the process (the journal's saves, Dropbox's reads of transit) waited
// for the card. Retention's listing of the card has at most as many out as the card's gate lets
// through (archive/card-gate.ts). Every lstat of node:fs/promises is counted while it is out.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { walkTree } from '../../src/engine/fsutil/walk.js';
import { listArchive } from '../../src/engine/retention/retention.js';
import { cardCallsAtOnce } from '../../src/engine/archive/card-gate.js';

/** The most lstat calls of node:fs/promises out at once while `run` runs, each held 2 ms. */
async function mostOut(t: TestContext, run: () => Promise<void>): Promise<number> {
  const api = fsp as unknown as { lstat: typeof fsp.lstat };
  const original = api.lstat;
  let out = 0;
  let most = 0;
  api.lstat = (async (...args: Parameters<typeof fsp.lstat>) => {
    out++;
    most = Math.max(most, out);
    try {
      await new Promise((r) => setTimeout(r, 2));
      return await original(...args);
    } finally {
      out--;
    }
  }) as typeof fsp.lstat;
  // The walk imports lstat by name: its binding follows the patched object.
  syncBuiltinESMExports();
  t.after(() => {
    api.lstat = original;
    syncBuiltinESMExports();
  });
  await run();
  return most;
}

async function folderOf(files: number): Promise<string> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'rdl-walk-once-'));
  for (let i = 0; i < files; i++) await fsp.writeFile(path.join(dir, `f${i}.csv`), 'x\n');
  return dir;
}

async function walkAll(dir: string, options: Parameters<typeof walkTree>[1]): Promise<number> {
  let files = 0;
  for await (const e of walkTree(dir, options)) if (e.kind === 'file') files++;
  return files;
}

test('a walk on the thread pool has at most `looksAtOnce` looks out, and sees every file', async (t) => {
  const dir = await folderOf(100);
  try {
    let seen = 0;
    const limited = await mostOut(t, async () => {
      seen = await walkAll(dir, { inlineBatchBudgetMs: 0, looksAtOnce: 3 });
    });
    assert.equal(seen, 100);
    assert.equal(limited, 3);
    // Without the limit, a whole batch goes at once.
    const unlimited = await mostOut(t, async () => {
      seen = await walkAll(dir, { inlineBatchBudgetMs: 0 });
    });
    assert.equal(seen, 100);
    assert.equal(unlimited, 64);
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});

test('retention lists the card with no more looks out than the card’s gate lets out', async (t) => {
  const dir = await folderOf(100);
  try {
    let listed = 0;
    const most = await mostOut(t, async () => {
      listed = (await listArchive(dir)).length;
    });
    assert.equal(listed, 100);
    assert.equal(most, cardCallsAtOnce());
  } finally {
    await fsp.rm(dir, { recursive: true, force: true });
  }
});
