// A kill between writing a temporary and renaming it (a power cut on a hub, a SIGKILL) left
// `alerts-state.json.tmp-<pid>`, `alerts.jsonl.tmp-<pid>` or `engine.lock.<uuid>.tmp` in the
// settings folder for good (seen by the crash torture). An engine taking the run lock removes
// those of processes that are gone, and nothing else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withHarness } from './harness.js';

/** The pid of a process that has exited (and been reaped). */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

test('taking the run lock removes temporaries left by stopped processes, and only those', async () => {
  await withHarness({}, async (h) => {
    const dead = await deadPid();
    const stale = [
      `alerts-state.json.tmp-${dead}`,
      `alerts.jsonl.tmp-${dead}`,
      `engine.lock.${randomUUID()}.tmp`,
    ];
    const kept = [
      `alerts-state.json.tmp-${process.pid}`, // a live process's write in progress
      `engine.lock.${randomUUID()}.tmp`, // another engine starting right now
      `notes.json.tmp-${dead}`, // not ours
      'alerts-state.json',
    ];
    for (const name of [...stale, ...kept]) await fs.writeFile(path.join(h.configDir, name), '{}');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await fs.utimes(path.join(h.configDir, stale[2]!), hourAgo, hourAgo);

    await h.engine.runPassNow();
    const left = new Set(await fs.readdir(h.configDir));
    for (const name of stale) assert.ok(!left.has(name), `${name} was removed`);
    for (const name of kept) assert.ok(left.has(name), `${name} was kept`);
  });
});
