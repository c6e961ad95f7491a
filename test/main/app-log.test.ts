// The app log as the window's Log tab shows it: a line pushed while the tab is open reads the same
// as that line read back from the file (Reload, or the next time the window opens).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createAppLogger, readLogLines } from '../../src/main/log.js';
import type { LogLine } from '../../src/shared/ipc.js';

// A hub in Montreal: local time is not UTC (the file's times are local).
process.env.TZ = 'America/Toronto';

test('a pushed log line is the line the file holds: same local time, same layout', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-app-log-'));
  try {
    const logger = createAppLogger(path.join(dir, 'logs', 'app.log'));
    const pushed: LogLine[] = [];
    const off = logger.onLine((line) => pushed.push(line));
    logger.info('pass', { staged: 1 });
    logger.warn('file failed', { rel: 'RDL/USB0/a.csv' });
    logger.error('Engine stop failed');
    off();
    const inFile = await readLogLines(logger.file, 3);
    assert.equal(inFile.length, 3, JSON.stringify(inFile));
    // Before: "[2026-12-02T19:02:58.679Z] [info] pass …" (UTC, ISO) beside the file's
    // "[2026-12-02 14:02:58.679] [info]  pass …" (local): a live line read 5 h off in Montreal.
    // The file's writer takes its own clock reading, a few ms apart from the push's.
    const parts = (l: LogLine) => {
      const m = /^\[(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3})\] (.*)$/.exec(l.text);
      assert.ok(m, `not the file's layout: ${l.text}`);
      const [y, mo, d, h, mi, s, ms] = m.slice(1, 8).map(Number) as number[];
      return { level: l.level, rest: m[8], atMs: new Date(y!, mo! - 1, d, h, mi, s, ms).getTime() };
    };
    for (const [i, line] of pushed.entries()) {
      const a = parts(line);
      const b = parts(inFile[i]!);
      assert.deepEqual([a.level, a.rest], [b.level, b.rest]);
      assert.ok(Math.abs(a.atMs - b.atMs) < 1000, `${line.text} vs ${inFile[i]!.text}`);
    }
    assert.equal(pushed.length, 3);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
});
