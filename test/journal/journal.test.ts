import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Journal } from '../../src/engine/journal/index.js';
import type { Logger, UploadSessionState } from '../../src/engine/ports.js';

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-journal-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  return { warnings, debug() {}, info() {}, error() {}, warn: (m) => warnings.push(m) };
}

const session: UploadSessionState = {
  sessionId: 'pid_upload_session:ABC',
  offset: 8 * 1024 * 1024,
  blockDigests: ['a'.repeat(64), 'b'.repeat(64)],
  size: 20_000_000,
  mtimeMs: 1_700_000_000_123.456,
  startedAtMs: 1_700_000_100_000,
};

test('entries and sessions survive close and reopen', async (t) => {
  const file = path.join(tempDir(t), 'state', 'journal.json');
  const logger = recordingLogger();
  const j = await Journal.open(file, logger);
  assert.equal(j.entry('a.csv'), undefined);
  j.update('USB0/a.csv', { size: 10, mtimeMs: 1_700_000_000_123.456, contentHash: 'h1' });
  j.update('USB0/a.csv', {
    upload: {
      path: '/RDL/s/USB0/a.csv',
      contentHash: 'h1',
      rev: '015f',
      atMs: 5,
      alreadyPresent: false,
    },
    attempts: 1,
  });
  j.sessions.set('big.bin', session);
  await j.close();
  assert.deepEqual(logger.warnings, []);

  const again = await Journal.open(file, logger);
  const e = again.entry('USB0/a.csv');
  assert.equal(e?.contentHash, 'h1');
  assert.equal(e?.upload?.rev, '015f');
  assert.equal(e?.attempts, 1);
  assert.deepEqual(again.sessions.get('big.bin'), session);
  assert.deepEqual(again.rels().sort(), ['USB0/a.csv', 'big.bin']);
  assert.deepEqual(logger.warnings, []);
  await again.close();
});

test('entryFor ignores an entry whose file changed; a changed file starts a fresh entry', async (t) => {
  const j = await Journal.open(path.join(tempDir(t), 'journal.json'));
  j.update('a.csv', {
    size: 10,
    mtimeMs: 100.5,
    contentHash: 'old',
    attempts: 3,
    lastError: { code: 'network', message: 'x', atMs: 1 },
  });
  assert.equal(j.entryFor('a.csv', 10, 100.5)?.contentHash, 'old');
  assert.equal(j.entryFor('a.csv', 11, 100.5), undefined);
  assert.equal(j.entryFor('a.csv', 10, 100.6), undefined);
  j.update('a.csv', { size: 11, mtimeMs: 200 });
  assert.deepEqual(j.entry('a.csv'), { size: 11, mtimeMs: 200, attempts: 0, nextTryMs: 0 });
  j.update('a.csv', { lastError: { code: 'network', message: 'x', atMs: 1 } });
  j.update('a.csv', { lastError: undefined });
  assert.equal('lastError' in j.entry('a.csv')!, false, 'undefined clears a field');
  j.sessions.set('a.csv', session);
  j.delete('a.csv');
  assert.equal(j.entry('a.csv'), undefined);
  assert.equal(j.sessions.get('a.csv'), undefined, 'delete forgets the session too');
  await j.close();
});

test('a missing file is an empty journal without warnings; a corrupt one is set aside with a warning', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'journal.json');
  const logger = recordingLogger();
  const empty = await Journal.open(file, logger);
  assert.deepEqual(empty.rels(), []);
  assert.deepEqual(logger.warnings, []);
  await empty.close();
  assert.equal(fs.existsSync(file), false, 'nothing to save, nothing written');

  fs.writeFileSync(file, '{"version":1,"entries":{"a":{"size":1,');
  const j = await Journal.open(file, logger);
  assert.deepEqual(j.rels(), []);
  assert.equal(logger.warnings.length, 1);
  assert.match(logger.warnings[0]!, /damaged \(not valid JSON\)/);
  assert.equal(
    fs.readFileSync(`${file}.corrupt`, 'utf8'),
    '{"version":1,"entries":{"a":{"size":1,',
  );
  await j.close();

  fs.writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      entries: { good: { size: 1, mtimeMs: 2, attempts: 0, nextTryMs: 0 }, bad: { size: 'x' } },
      sessions: { s: { sessionId: '' } },
    }),
  );
  const partial = await Journal.open(file, logger);
  assert.deepEqual(partial.rels(), ['good']);
  assert.match(logger.warnings.at(-1)!, /damaged records/);
  await partial.close();
});

test('a torn temp file left by a crash is ignored and replaced by the next save', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'journal.json');
  const j = await Journal.open(file);
  j.update('a.csv', { size: 1, mtimeMs: 1 });
  await j.flush();
  fs.writeFileSync(`${file}.tmp`, '{"version":1,"entr');
  const reopened = await Journal.open(file);
  assert.equal(reopened.entry('a.csv')?.size, 1);
  reopened.update('b.csv', { size: 2, mtimeMs: 2 });
  await reopened.close();
  // No temporary left behind; the snapshot and the append log that continues it (journal.ts).
  assert.deepEqual(fs.readdirSync(dir).sort(), ['journal.json', 'journal.json.log']);
  assert.deepEqual((await Journal.open(file)).rels().sort(), ['a.csv', 'b.csv']);
});

test('scheduled saves are coalesced into one write', async (t) => {
  const j = await Journal.open(path.join(tempDir(t), 'journal.json'));
  for (let i = 0; i < 1000; i++) j.update(`f${i}`, { size: i, mtimeMs: i });
  assert.equal(j.writeCount, 0, 'nothing is written synchronously');
  for (let waited = 0; j.writeCount === 0 && waited < 5000; waited += 20) {
    await new Promise((r) => setTimeout(r, 20));
  }
  await j.flush();
  assert.equal(j.writeCount, 1);
  await j.close();
  assert.equal(j.writeCount, 1, 'closing with nothing new writes nothing');
});

test('killing the writer at any instant never leaves a journal that fails to load', async (t) => {
  const file = path.join(tempDir(t), 'journal.json');
  const writer = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));
  let lastCounter = 0;
  for (let round = 0; round < 4; round++) {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, file], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.stdout.once('data', () => resolve());
    });
    await new Promise((r) => setTimeout(r, 30 + Math.random() * 120));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));

    const logger = recordingLogger();
    const j = await Journal.open(file, logger);
    assert.deepEqual(logger.warnings, [], `round ${round}: journal loads cleanly`);
    const counter = j.entry('counter')?.size ?? 0;
    assert.equal(
      j.rels().length,
      counter === 0 ? 0 : counter + 1,
      `round ${round}: one consistent state`,
    );
    assert.ok(counter >= lastCounter, 'progress is never lost');
    lastCounter = counter;
    await j.close();
  }
  assert.ok(lastCounter > 0, 'the writer made progress');
});

test('a journal written before the legs were one kind still loads (remotePath, shared back-off)', async (t) => {
  // Byte for byte the shape the previous release wrote: the Dropbox record names its path
  // `remotePath`, the superseded copies too, and failures sit on the file, not on a leg.
  const file = path.join(tempDir(t), 'journal.json');
  const old = {
    version: 1,
    entries: {
      'USB0/a.csv': {
        size: 10,
        mtimeMs: 1_700_000_000_123,
        dev: 2049,
        ino: 77,
        contentHash: 'h2',
        supersedes: {
          upload: { remotePath: '/RDL/s/USB0/a.csv', rev: '015e', contentHash: 'h1' },
          archive: { path: '/media/card/USB0/a.csv', contentHash: 'h1' },
        },
        upload: {
          remotePath: '/RDL/s/USB0/a.csv',
          contentHash: 'h2',
          rev: '015f',
          atMs: 5,
          alreadyPresent: false,
        },
        attempts: 2,
        nextTryMs: 9_000,
        lastError: { code: 'archive-readonly', message: 'card read-only', atMs: 8_000 },
      },
    },
    sessions: {},
  };
  fs.writeFileSync(file, JSON.stringify(old));
  const logger = recordingLogger();
  const j = await Journal.open(file, logger);
  assert.deepEqual(logger.warnings, [], 'nothing dropped as damaged');
  const e = j.entry('USB0/a.csv');
  assert.deepEqual(e?.upload, {
    path: '/RDL/s/USB0/a.csv',
    contentHash: 'h2',
    rev: '015f',
    atMs: 5,
    alreadyPresent: false,
  });
  assert.deepEqual(e?.supersedes, {
    upload: { path: '/RDL/s/USB0/a.csv', rev: '015e', contentHash: 'h1' },
    archive: { path: '/media/card/USB0/a.csv', contentHash: 'h1' },
  });
  assert.equal(e?.archive, undefined);
  assert.equal(e?.attempts, 2);
  assert.equal(e?.nextTryMs, 9_000);
  assert.equal(e?.lastError?.code, 'archive-readonly');
  // Saved again, it is in the new shape and loads the same.
  j.update('USB0/a.csv', { contentHash: 'h2' });
  await j.close();
  const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  assert.equal(saved.entries['USB0/a.csv'].upload.path, '/RDL/s/USB0/a.csv');
  assert.equal('remotePath' in saved.entries['USB0/a.csv'].upload, false);
  const again = await Journal.open(file, logger);
  assert.deepEqual(again.entry('USB0/a.csv'), e);
  await again.close();
});
