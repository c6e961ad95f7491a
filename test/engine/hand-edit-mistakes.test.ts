// A settings file changed by hand into one that cannot be used is shown, not only logged. The
// running engine keeps the settings in force (a typo must not stop a hub's syncing), and until
// this it said so only in its log, which nobody reads on a hub (WORKLOAD.md: operators edit the
// JSON over remote desktop, and hand-edited mistakes are a field pain): the edit had silently
// not taken effect, the status said "Up to date". Now the status (window, tray, status.json,
// `rdl-sync status`) carries an attention problem naming the mistake and the fix, and it goes
// when the file is fixed, whether back to the settings in force or on to new ones. The real
// engine with its file watcher, the file edited as a person would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { withHarness, type Harness } from './harness.js';
import { waitFor } from '../cli/cli-harness.js';

const ID = 'settings-file-mistakes';

async function editFile(h: Harness, change: Record<string, unknown>): Promise<void> {
  const file = path.join(h.configDir, 'config.json');
  const data = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
  await fs.writeFile(file, JSON.stringify({ ...data, ...change }, null, 2));
}

const problem = (h: Harness) => h.engine.getStatus().problems.find((p) => p.id === ID);

test('a hand edit with a mistake is a visible problem until the file is fixed; the settings in force run meanwhile', async () => {
  await withHarness({ engine: { watchConfig: true } }, async (h) => {
    await h.engine.start();
    const before = h.engine.getSettings().intervalSeconds;

    await editFile(h, { intervalSeconds: 1 });
    await waitFor('the problem', async () => problem(h) !== undefined, 15_000);
    const p = problem(h)!;
    assert.equal(p.severity, 'attention');
    assert.equal(p.tab, 'settings');
    assert.match(p.message, /intervalSeconds/);
    assert.match(p.message, /at least 2 seconds/);
    assert.match(p.message, /settings in force are kept/);
    assert.match(p.message, /config\.json/);
    // Still syncing with what was in force.
    assert.equal(h.engine.getSettings().intervalSeconds, before);
    await h.drop('RDL/a.csv', 'a\n');
    h.engine.syncNow();
    await waitFor('the file on Dropbox', async () =>
      Boolean(h.emulator.getFile('/RDL/site1/RDL/a.csv')),
    );

    // Fixed back to exactly the settings in force: no new settings, but the problem goes.
    await editFile(h, { intervalSeconds: before });
    await waitFor('the problem cleared', async () => problem(h) === undefined, 15_000);

    // Another mistake, then a fix to new settings: cleared, and the new settings apply.
    await editFile(h, { stableSeconds: -5 });
    await waitFor('the second problem', async () => problem(h) !== undefined, 15_000);
    assert.match(problem(h)!.message, /stableSeconds/);
    await editFile(h, { stableSeconds: 3 });
    await waitFor(
      'the fix applied',
      async () => h.engine.getSettings().stableSeconds === 3,
      15_000,
    );
    assert.equal(problem(h), undefined);
  });
});

test('a file that is not JSON any more is the same visible problem, naming the line of the mistake', async () => {
  await withHarness({ engine: { watchConfig: true } }, async (h) => {
    await h.engine.start();
    const file = path.join(h.configDir, 'config.json');
    const good = await fs.readFile(file, 'utf8');
    const broken = good.replace(/}\s*$/, ',}'); // a trailing comma, as by hand
    await fs.writeFile(file, broken);
    await waitFor('the problem', async () => problem(h) !== undefined, 15_000);
    assert.match(problem(h)!.message, /settings in force are kept/);
    // Where the mistake is, as a person looks for it: the line (the last) and column.
    const lines = broken.split('\n').length;
    assert.match(problem(h)!.message, new RegExp(`line ${lines}, column \\d+`));
    // Only fixes that work: `settings set` refuses to save over a file it cannot read, and
    // deleting the file (the file's own advice) would start every setting from its default.
    assert.match(
      problem(h)!.message,
      /or save the settings from the window \(the file is set aside\)\. Do not delete it/,
    );
    assert.doesNotMatch(problem(h)!.message, /rdl-sync settings set|delete the file to start/);
    await fs.writeFile(file, good);
    await waitFor('the problem cleared', async () => problem(h) === undefined, 15_000);
  });
});
