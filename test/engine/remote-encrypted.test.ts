// A remote folder inside a team's end-to-end encrypted folder refuses every file the same way.
// Found by an operator trial: each file failed on its own, and the alert said "8 files keep
// failing the same way (unknown) … Other files are not affected" while every file failed. Now it
// is one problem of the Dropbox leg, files wait in transit uncounted as failing, and the queue goes
// at once when the remote folder can be written. The real engine and the emulator.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withHarness } from './harness.js';

test('an end-to-end encrypted remote folder is one problem of the Dropbox leg, not a failure of each file', async () => {
  await withHarness({}, async (h) => {
    for (let i = 0; i < 5; i++) await h.drop(`RDL/USB0/f${i}.csv`, `t,v\n${i},1\n`);
    h.emulator.addFault({
      route: 'files/upload_session/finish_batch_v2',
      kind: 'encryption_not_supported',
      times: 1_000,
    });
    await h.engine.runPassNow();
    const s = h.engine.getStatus();
    assert.equal(s.counts.failed, 0, 'no file fails on its own');
    assert.deepEqual(
      s.problems.filter((p) => p.id.startsWith('file-failing:')).map((p) => p.id),
      [],
    );
    const problem = s.problems.find((p) => p.id === 'remote-encrypted');
    assert.ok(problem, JSON.stringify(s.problems));
    assert.equal(problem.severity, 'error');
    assert.match(
      problem.message,
      /^Dropbox cannot store files in the remote folder: it is in an end-to-end encrypted folder.*choose a remote folder outside it/,
    );
    assert.equal(s.counts.transit, 5);

    h.emulator.clearFaults();
    await h.engine.runPassNow();
    const after = h.engine.getStatus();
    assert.equal(after.counts.transit, 0, 'all went once the folder could be written');
    assert.equal(
      after.problems.some((p) => p.id === 'remote-encrypted'),
      false,
    );
    assert.ok(h.emulator.getFile('/RDL/site1/RDL/USB0/f4.csv'));
  });
});
