// A log file that cannot be written (its disk read-only after errors): electron-log printed the
// error's whole stack to the console at every line, so under systemd each of the daemon's lines
// became eleven in the journal. Real processes (their stderr is what the journal gets) and real
// tmpfs mounts turned read-only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { canMount, mountTmpfs, removeDir, tempDir, unmount } from '../archive/helpers.js';

const loggerModule = fileURLToPath(new URL('../../src/engine/log/logger.ts', import.meta.url));

/** Runs a script that logs through a real console logger; returns its console output. */
async function runLogging(dir: string, body: string): Promise<string> {
  const script = join(dir, 'logging.mts');
  await writeFile(
    script,
    `import { execFileSync } from 'node:child_process';\n` +
      `import { createLogger } from ${JSON.stringify(loggerModule)};\n` +
      `const remount = (how: string, d: string) => execFileSync('mount', ['-o', 'remount,' + how, d]);\n` +
      body,
  );
  const r = spawnSync(process.execPath, ['--import', 'tsx', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  return `${r.stdout}${r.stderr}`;
}

test('a log disk turned read-only: one line says so, no stacks, and its end is said and counted', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  const base = await tempDir('rdl-logtrouble-');
  const logs = join(base, 'logs');
  await mkdir(logs);
  mountTmpfs(logs, 1024);
  try {
    const file = join(logs, 'daemon.log');
    const out = await runLogging(
      base,
      `const log = createLogger({ file: ${JSON.stringify(file)}, console: true });\n` +
        `log.info('line one');\n` +
        `remount('ro', ${JSON.stringify(logs)});\n` +
        `for (let i = 0; i < 20; i++) log.info('while read-only ' + i);\n` +
        `remount('rw', ${JSON.stringify(logs)});\n` +
        `log.info('line back');\n`,
    );
    t.diagnostic(out.split('\n').slice(0, 4).join(' | '));
    // Every line still reaches the console (the journal)…
    for (let i = 0; i < 20; i++) assert.ok(out.includes(`while read-only ${i}\n`), `line ${i}`);
    // …with one line about the file, not a stack per line.
    assert.doesNotMatch(out, /^\s+at /m, 'no stack trace');
    const told = out.split('\n').filter((l) => l.includes('Cannot write the log file'));
    assert.equal(told.length, 1, out);
    assert.ok(told[0]!.includes(file));
    assert.match(told[0]!, /EROFS: read-only file system\): .*until it can be written again/);
    // The file: the lines before and after, and what happened between.
    const text = await readFile(file, 'utf8');
    assert.match(text, /line one\n/);
    assert.match(text, /line back\n/);
    assert.match(
      text,
      /\[warn\]\s+The log file can be written again \(it could not: EROFS: read-only file system\); 20 lines went only to the console meanwhile/,
    );
    assert.doesNotMatch(text, /while read-only/);
  } finally {
    unmount(logs);
    await removeDir(base);
  }
});

test('a log file that cannot be opened from the start: said once, with what to do', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  const base = await tempDir('rdl-logtrouble-');
  const logs = join(base, 'logs');
  await mkdir(logs);
  mountTmpfs(logs, 1024, true);
  try {
    const file = join(logs, 'daemon.log');
    const out = await runLogging(
      base,
      `const log = createLogger({ file: ${JSON.stringify(file)}, console: true });\n` +
        `for (let i = 0; i < 5; i++) log.warn('line ' + i);\n`,
    );
    for (let i = 0; i < 5; i++) assert.ok(out.includes(`line ${i}\n`), `line ${i}`);
    assert.doesNotMatch(out, /^\s+at /m, 'no stack trace');
    const told = out.split('\n').filter((l) => l.includes('Cannot write the log file'));
    assert.equal(told.length, 1, out);
    assert.match(told[0]!, /from now on; restart RDL Sync once its disk can be written/);
  } finally {
    unmount(logs);
    await removeDir(base);
  }
});

test('a log line cut short by a full disk ends there: the first line once there is room starts a line of its own', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  const base = await tempDir('rdl-logtrouble-');
  const logs = join(base, 'logs');
  await mkdir(logs);
  mountTmpfs(logs, 256);
  try {
    const file = join(logs, 'daemon.log');
    const filler = join(logs, 'filler');
    await runLogging(
      base,
      `import fs from 'node:fs';\n` +
        `const log = createLogger({ file: ${JSON.stringify(file)}, console: true });\n` +
        `log.info('line one');\n` +
        // The loggers' files fill the disk, to the byte (bounded loops: far more than 256 KiB).
        `const fd = fs.openSync(${JSON.stringify(filler)}, 'w');\n` +
        `for (const size of [65536, 4096, 1]) {\n` +
        `  try { for (let i = 0; i < 70000; i++) fs.writeSync(fd, Buffer.alloc(size, 1)); }\n` +
        `  catch (e) { if (e.code !== 'ENOSPC') throw e; }\n` +
        `}\n` +
        `fs.closeSync(fd);\n` +
        // Longer than what the log's last page has left: what fits is stored, the rest refused.
        `log.info('a long line ' + 'x'.repeat(8192));\n` +
        `log.info('while full');\n` +
        `fs.rmSync(${JSON.stringify(filler)});\n` +
        `log.info('line back');\n`,
    );
    const lines = (await readFile(file, 'utf8')).split('\n');
    const stamped = /^\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\] \[(info|warn)\]/;
    assert.match(lines[1]!, /\[info\]\s+a long line x+$/, 'the cut line holds only itself');
    assert.ok(!lines[1]!.endsWith('x'.repeat(8192)), 'the long line was cut');
    for (const line of lines.slice(2, -1)) assert.match(line, stamped, 'a line of its own');
    assert.match(lines[2]!, /\[info\]\s+line back$/);
    assert.match(lines[3]!, /The log file can be written again \(it could not: ENOSPC/);
    assert.equal(lines.at(-1), '', 'the file ends with a line end');
  } finally {
    unmount(logs);
    await removeDir(base);
  }
});
