// The advice for a settings folder this process may not write names the fix that works: chmod
// for a folder its user owns already with the write bit off (chown then changes nothing: a
// trial), chown for another owner's. Real folders and permission bits (the tests run as root:
// a root-owned folder of mode 555 is "ours without the write bit", one given to nobody is not).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cannotWrite } from '../../src/engine/run-lock.js';
import { settingsUnwritableProblem } from '../../src/engine/status/settings-unwritable.js';
import { runningUser } from '../../src/engine/fsutil/running-user.js';

test('a settings folder its user owns without the write bit is told chmod; another owner’s, chown', (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-write-fix-'));
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const user = runningUser();

  const own = path.join(root, 'own settings');
  fs.mkdirSync(own, { mode: 0o555 });
  fs.chmodSync(own, 0o555);
  const lock = cannotWrite(own, 'EACCES');
  assert.match(
    lock ?? '',
    /with its owner's write permission off: give it back \(chmod -R u\+w '.*own settings'\)$/,
  );
  assert.doesNotMatch(lock ?? '', /chown/);
  const problem = settingsUnwritableProblem(own, 'EACCES')?.message ?? '';
  assert.match(
    problem,
    /are not saved\. It is .*'s already, with its owner's write permission off: give it back \(chmod -R u\+w /,
  );

  // Writable by its owner (the write refused for another reason: a file inside, an ACL): chown -R.
  fs.chmodSync(own, 0o755);
  assert.match(
    cannotWrite(own, 'EPERM') ?? '',
    new RegExp(`give it back to that user \\(sudo chown -R ${user} '`),
  );

  if (process.getuid?.() === 0) {
    const theirs = path.join(root, 'theirs');
    fs.mkdirSync(theirs, { mode: 0o555 });
    fs.chownSync(theirs, 65534, 65534);
    assert.match(cannotWrite(theirs, 'EACCES') ?? '', /give it back to that user \(sudo chown -R /);
    assert.match(
      settingsUnwritableProblem(theirs, 'EACCES')?.message ?? '',
      /\. Give it back to that user \(sudo chown -R /,
    );
  }
  // Not looked at (gone): the usual advice.
  assert.match(cannotWrite(path.join(root, 'gone'), 'EACCES') ?? '', /sudo chown -R/);
});
