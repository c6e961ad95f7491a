// The record of which transit folder is a disk of its own (src/engine/stage/transit-disk-record.ts):
// written once when news, private, read back by the next process for that folder only; a damaged
// one reads as none and says so; a read-only engine never writes it; a settings folder that
// cannot be written is said once, not at every pass. Real files, real permission bits (an
// unprivileged user, as root reads and writes through them).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TransitDiskRecord } from '../../src/engine/stage/transit-disk-record.js';
import { recordingLogger } from '../engine/harness.js';
import { cannotDropPrivileges, giveToNobody, nodeAsNobody } from './unprivileged.js';

async function tempDir(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'rdl-transit-record-'));
  t.after(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

test('remembered once, private, and recalled by the next process for that folder only', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'transit-disk.json');
  const first = new TransitDiskRecord(file);
  assert.equal(await first.recalled('/data/transit'), null, 'nothing recorded yet');
  await first.remember('/data/transit');
  const written = await fs.stat(file);
  assert.equal(written.mode & 0o777, 0o600);
  await first.remember('/data/transit');
  assert.equal((await fs.stat(file)).mtimeMs, written.mtimeMs, 'not written again: no news');

  const next = new TransitDiskRecord(file);
  assert.deepEqual(await next.recalled('/data/transit'), { ownDisk: true });
  assert.equal(await next.recalled('/srv/transit'), null, 'another transit folder: no record');
});

test('a damaged record reads as none and says so; the next disk found rewrites it', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'transit-disk.json');
  await fs.writeFile(file, '{"version": 1, "ownDisk": ');
  const logger = recordingLogger();
  const record = new TransitDiskRecord(file, logger);
  assert.equal(await record.recalled('/data/transit'), null);
  assert.ok(logger.lines.some((l) => l.level === 'warn' && /damaged/.test(l.message)));
  await record.remember('/data/transit');
  assert.deepEqual(await new TransitDiskRecord(file).recalled('/data/transit'), {
    ownDisk: true,
  });
});

test('a read-only engine recalls the record and never writes one', async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'transit-disk.json');
  const record = new TransitDiskRecord(file, recordingLogger(), false);
  await record.remember('/data/transit');
  await assert.rejects(fs.stat(file), { code: 'ENOENT' });
});

test('a settings folder that cannot be written: said once, tried again, written once it can be', async (t) => {
  const cannot = cannotDropPrivileges();
  if (cannot) return t.skip(cannot);
  const dir = await tempDir(t);
  const settings = path.join(dir, 'settings');
  await fs.mkdir(settings, { mode: 0o500 });
  // As nobody, in a child: root writes through the permission bits.
  await giveToNobody(dir, settings);
  const script = `
    import { TransitDiskRecord } from ${JSON.stringify(path.resolve('src/engine/stage/transit-disk-record.ts'))};
    import fs from 'node:fs/promises';
    const warns = [];
    const logger = { debug() {}, info() {}, error() {}, warn: (m) => warns.push(m) };
    const record = new TransitDiskRecord(${JSON.stringify(path.join(settings, 'transit-disk.json'))}, logger);
    await record.remember('/data/transit');
    await record.remember('/data/transit');
    await fs.chmod(${JSON.stringify(settings)}, 0o700);
    await record.remember('/data/transit');
    const recalled = await new TransitDiskRecord(${JSON.stringify(path.join(settings, 'transit-disk.json'))}).recalled('/data/transit');
    console.log(JSON.stringify({ warns, recalled }));
  `;
  const r = spawnSync('setpriv', nodeAsNobody('--input-type=module', '-e', script), {
    encoding: 'utf8',
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as {
    warns: string[];
    recalled: unknown;
  };
  assert.equal(out.warns.length, 1, `said once: ${JSON.stringify(out.warns)}`);
  assert.match(out.warns[0]!, /could not record that the transit folder is a disk of its own/);
  assert.deepEqual(out.recalled, { ownDisk: true }, 'written once the folder could be written');
});
