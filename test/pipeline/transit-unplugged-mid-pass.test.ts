// Transit on a disk of its own, unplugged after the pass looked at it (transit-trust.ts) and before
// its walk: the walk met the empty mount point, read every entry as taken out of transit, and
// forgot the queue. Transit is now looked at again before anything is forgotten. Real parts: a
// tmpfs as the disk, moved away at the instant the walk begins (mount --move keeps its files, as
// a disk unplugged and plugged back in does), the real pass, journal and emulator (Dropbox
// answering 503, so the files stay in transit).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startPassRig } from './pass-rig.js';
import { canMount, mountTmpfs, unmount } from '../archive/helpers.js';

function moveMount(from: string, to: string): void {
  const r = spawnSync('mount', ['--move', from, to], { encoding: 'utf8' });
  assert.equal(r.status, 0, `mount --move ${from} ${to}: ${r.stderr}`);
}

test('transit unplugged between the pass look and its walk: nothing is forgotten, the problem is told', async (t) => {
  if (!(await canMount()))
    return t.skip('this machine does not allow mounting a tmpfs (needs root)');
  const rig = await startPassRig({ archiveEnabled: false });
  const parked = path.join(rig.root, 'parked');
  await fs.mkdir(parked);
  mountTmpfs(rig.transitDir, 1024);
  let at = rig.transitDir;
  t.after(async () => {
    unmount(at);
    await rig.close();
  });
  rig.emulator.addFault({ kind: 'server_error', times: 1_000_000 }); // Dropbox down
  await rig.drop('USB0/a.csv', 'a\n1\n');
  await rig.drop('USB0/b.csv', 'b\n2\n');
  const first = await rig.pass();
  assert.equal(first.report.staged, 2);
  assert.deepEqual(rig.journal.rels().sort(), ['USB0/a.csv', 'USB0/b.csv']);

  // The next pass: the disk goes as the walk of transit begins, after the pass's look.
  const walk = rig.deps.listTransit.bind(rig.deps);
  rig.deps.listTransit = (...args) => {
    moveMount(rig.transitDir, parked);
    at = parked;
    rig.deps.listTransit = walk;
    return walk(...args);
  };
  const second = await rig.pass();
  assert.equal(at, parked, 'the disk was unplugged during the pass');
  assert.deepEqual(rig.journal.rels().sort(), ['USB0/a.csv', 'USB0/b.csv'], 'the queue is kept');
  const told = second.events.find(
    (e) => e.type === 'problem' && e.problem.id === 'transit-missing',
  );
  assert.ok(told, 'the transit folder is told missing at the end of that pass');
  assert.match(
    told.type === 'problem' ? told.problem.message : '',
    new RegExp(`transit folder ${rig.transitDir} is not mounted`),
  );

  // Back: the next pass finds both files where they were, and clears the problem.
  moveMount(parked, rig.transitDir);
  at = rig.transitDir;
  const third = await rig.pass();
  assert.ok(third.events.some((e) => e.type === 'problem-cleared' && e.id === 'transit-missing'));
  assert.deepEqual(rig.journal.rels().sort(), ['USB0/a.csv', 'USB0/b.csv']);
});
