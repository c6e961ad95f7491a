// Times the CLI prints (status, history, sync, retention) name the hub's zone: an admin reading
// over ssh from another zone, or a Pi left on UTC, could not tell 16:18 local from 16:18 UTC.
// A real process per zone (TZ), as a service or an ssh session runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { repo } from './cli-harness.js';

const run = promisify(execFile);

async function shownIn(tz: string, iso: string): Promise<string> {
  const code = `import('./src/cli/duration.ts').then((m) => process.stdout.write(m.formatTime(Date.parse(${JSON.stringify(iso)}))))`;
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '-e', code], {
    cwd: repo,
    env: { ...process.env, TZ: tz, LANG: 'C', LC_ALL: 'C' },
  });
  return stdout;
}

test('a time shown by the CLI carries the zone it is in, summer time included', async () => {
  assert.equal(await shownIn('UTC', '2026-12-02T16:18:57Z'), '2026-12-02 16:18:57 UTC');
  assert.equal(
    await shownIn('America/Montreal', '2026-12-02T16:18:57Z'),
    '2026-12-02 11:18:57 EST',
  );
  assert.equal(
    await shownIn('America/Montreal', '2026-07-02T16:18:57Z'),
    '2026-07-02 12:18:57 EDT',
  );
  assert.equal(await shownIn('Europe/Paris', '2026-12-02T16:18:57Z'), '2026-12-02 17:18:57 GMT+1');
});
