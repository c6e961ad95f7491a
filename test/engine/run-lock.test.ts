// The run lock against stale locks of every kind (dead pid, a pid reused after a reboot or by a
// later process, even a contender's own pid) with several real processes racing for it at the
// same instant: in every round exactly one of them holds it, and a live holder is never displaced.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import {
  LOCK_FILE,
  acquireRunLock,
  currentBootId,
  liveLockOwner,
  parseOwner,
  processStartTime,
} from '../../src/engine/run-lock.js';

const repo = path.resolve(import.meta.dirname, '../..');
const CONTENDERS = 4;
const ROUNDS = 30;
const ANSWER_TIMEOUT_MS = 20_000;

interface Contender {
  child: ChildProcess;
  next(): Promise<string>;
}

const children: ChildProcess[] = [];
const roots: string[] = [];
after(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const r of roots) await fs.rm(r, { recursive: true, force: true });
});

function startContender(): Contender {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repo, 'test/engine/run-lock-contender.ts')],
    { cwd: repo, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  children.push(child);
  const lines: string[] = [];
  const waiters: ((l: string) => void)[] = [];
  readline.createInterface({ input: child.stdout! }).on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l);
    else lines.push(l);
  });
  return {
    child,
    next: () =>
      new Promise<string>((resolve, reject) => {
        const queued = lines.shift();
        if (queued !== undefined) return resolve(queued);
        const timer = setTimeout(
          () => reject(new Error(`contender ${child.pid} did not answer in time`)),
          ANSWER_TIMEOUT_MS,
        );
        waiters.push((l) => {
          clearTimeout(timer);
          resolve(l);
        });
      }),
  };
}

/** A pid that no process has now: a child that has already exited. */
async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
  await new Promise((r) => c.once('exit', r));
  return c.pid!;
}

const BOOT = currentBootId();

test('of several processes racing for a stale lock, exactly one holds it, every round', async () => {
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-lock-'));
  roots.push(root);
  const contenders = Array.from({ length: CONTENDERS }, startContender);
  for (const c of contenders) assert.equal(await c.next(), 'ready');
  const gone = await deadPid();
  const otherBoot = '00000000-0000-4000-8000-000000000000';
  const kinds: { name: string; lock: (round: number) => string | null; claimOf?: string }[] = [
    { name: 'no lock', lock: () => null },
    {
      name: 'dead pid',
      lock: (r) => JSON.stringify({ pid: gone, bootId: BOOT, startTime: '1', tag: `d${r}` }),
    },
    {
      name: 'pid reused by a later process (this test runner)',
      lock: (r) => JSON.stringify({ pid: process.pid, bootId: BOOT, startTime: '1', tag: `r${r}` }),
    },
    {
      name: "a contender's own pid, from before a reboot",
      lock: (r) =>
        JSON.stringify({
          pid: contenders[r % CONTENDERS]!.child.pid,
          bootId: otherBoot,
          startTime: processStartTime(contenders[r % CONTENDERS]!.child.pid!),
          tag: `b${r}`,
        }),
    },
    {
      name: "a contender's own pid with another start time",
      lock: (r) =>
        JSON.stringify({
          pid: contenders[r % CONTENDERS]!.child.pid,
          bootId: BOOT,
          startTime: '2',
          tag: `s${r}`,
        }),
    },
    { name: 'older bare-pid form, dead', lock: () => String(gone) },
    {
      name: 'dead pid, and a claim left by a claimant that died',
      lock: (r) => JSON.stringify({ pid: gone, bootId: BOOT, startTime: '1', tag: `c${r}` }),
      claimOf: JSON.stringify({ pid: gone, bootId: BOOT, startTime: '3', tag: 'claimant' }),
    },
  ];
  const seen = new Map<string, number>();
  for (let round = 0; round < ROUNDS; round++) {
    const kind = kinds[round % kinds.length]!;
    const dir = path.join(root, `round-${round}`);
    await fs.mkdir(dir);
    const stale = kind.lock(round);
    if (stale !== null) await fs.writeFile(path.join(dir, LOCK_FILE), stale);
    if (stale !== null && kind.claimOf) {
      const { createHash } = await import('node:crypto');
      const gen = createHash('sha256').update(stale).digest('hex').slice(0, 24);
      await fs.writeFile(path.join(dir, `${LOCK_FILE}.claim-${gen}`), kind.claimOf);
    }
    // All at once: one write each, back to back, then collect.
    for (const c of contenders) c.child.stdin!.write(`go ${dir}\n`);
    const answers = await Promise.all(contenders.map((c) => c.next()));
    const winners = contenders.filter((_c, i) => answers[i] === 'won');
    assert.equal(winners.length, 1, `round ${round} (${kind.name}): ${answers.join(' | ')}`);
    for (const a of answers) if (a !== 'won') assert.match(a, /^lost Another RDL Sync \(pid \d+\)/);
    const holder = parseOwner(await fs.readFile(path.join(dir, LOCK_FILE), 'utf8'));
    assert.equal(holder?.pid, winners[0]!.child.pid, `round ${round}: the lock names the winner`);
    assert.equal((await liveLockOwner(dir))?.pid, winners[0]!.child.pid);
    seen.set(kind.name, (seen.get(kind.name) ?? 0) + 1);

    winners[0]!.child.stdin!.write('release\n');
    assert.equal(await winners[0]!.next(), 'released');
    assert.deepEqual(
      (await fs.readdir(dir)).filter((n) => n.startsWith(LOCK_FILE)),
      [],
      `round ${round}: released lock, claims and temp files all gone`,
    );
  }
  assert.equal(seen.size, kinds.length, 'every kind of stale lock was raced');
  for (const c of contenders) c.child.stdin!.end();
});

test('in one process: a live holder is refused, our own pid with another start time is stale', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-lock-own-'));
  roots.push(dir);
  const first = await acquireRunLock(dir);
  // A second engine in this same process (same pid, boot and start time) is a live owner.
  await assert.rejects(
    acquireRunLock(dir),
    new RegExp(`Another RDL Sync \\(pid ${process.pid}\\)`),
  );
  await first.release();
  await assert.rejects(fs.stat(path.join(dir, LOCK_FILE)), /ENOENT/);
  // `rdl-sync sync` with no daemon holds the lock as a `once` does: the refusal says both.
  const oneShot = await acquireRunLock(dir, 'once');
  await assert.rejects(
    acquireRunLock(dir),
    /\(it is an `rdl-sync once` or `sync`\).*it ends by itself after its pass/,
  );
  await oneShot.release();

  // The same pid, but a process that started at another time: a reused pid, so stale.
  const ours = processStartTime(process.pid);
  assert.ok(ours === null || /^\d+$/.test(ours));
  await fs.writeFile(
    path.join(dir, LOCK_FILE),
    JSON.stringify({ pid: process.pid, bootId: BOOT, startTime: '12345', tag: 'old' }),
  );
  const second = await acquireRunLock(dir);
  assert.equal(
    parseOwner(await fs.readFile(path.join(dir, LOCK_FILE), 'utf8'))?.tag !== 'old',
    true,
  );
  // Releasing a lock that is ours removes it; a later release is harmless.
  await second.release();
  await second.release();
  assert.equal(await liveLockOwner(dir), null);
});

test('a lock whose owner has exited but is not reaped yet (a zombie) is stale and taken over', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-lock-zombie-'));
  roots.push(dir);
  // The inner shell exits after a second; by then its parent has become `sleep`, which never
  // reaps it. (Exiting at once raced the outer shell, which reaps a child that ends before exec.)
  const parent = spawn('sh', ['-c', 'sh -c "sleep 1; exit 0" & echo $!; exec sleep 60'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  children.push(parent);
  const line = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no pid printed')), ANSWER_TIMEOUT_MS);
    readline.createInterface({ input: parent.stdout! }).once('line', (l) => {
      clearTimeout(timer);
      resolve(l);
    });
  });
  const zombie = Number(line);
  assert.ok(Number.isInteger(zombie) && zombie > 0, line);
  let state = '';
  for (let i = 0; i < 1000 && state !== 'Z'; i++) {
    const stat = await fs.readFile(`/proc/${zombie}/stat`, 'utf8');
    state = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
    if (state !== 'Z') await new Promise((r) => setTimeout(r, 10));
  }
  assert.equal(state, 'Z', 'the child is a zombie: exited, not reaped');
  const startTime = processStartTime(zombie);
  assert.ok(startTime !== null, 'a zombie still shows its start time');
  await fs.writeFile(
    path.join(dir, LOCK_FILE),
    JSON.stringify({ pid: zombie, bootId: BOOT, startTime, tag: 'killed' }),
  );
  assert.equal(await liveLockOwner(dir), null);
  const lock = await acquireRunLock(dir);
  try {
    assert.equal(
      parseOwner(await fs.readFile(path.join(dir, LOCK_FILE), 'utf8'))?.pid,
      process.pid,
    );
  } finally {
    await lock.release();
    parent.kill('SIGKILL');
  }
});
