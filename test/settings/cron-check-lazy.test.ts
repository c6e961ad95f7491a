// cron-check.ts loads node-schedule only when asked (loadCronCheck): `once` over an interval
// schedule never does. A cron expression met before it is loaded (`once` whose settings file
// changed to a cron schedule while it started) is refused with the reason, never passed unchecked.
// Its own file: the module's state is per process, and every other test loads it first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cronProblem, loadCronCheck } from '../../src/engine/settings/cron-check.js';

test('a cron expression is refused, not passed, before the check is loaded; checked after', async () => {
  assert.match(
    cronProblem('*/5 * * * *') ?? '',
    /could not be checked: the settings file changed to a cron schedule while RDL Sync was starting; run the command again/,
  );
  assert.match(
    cronProblem('* * * *') ?? '',
    /has 4 fields/,
    'what needs no parser is said as before',
  );
  await loadCronCheck();
  assert.equal(cronProblem('*/5 * * * *'), null);
  assert.match(cronProblem('0 0 31 2 *') ?? '', /never comes round|not a valid cron/);
});
