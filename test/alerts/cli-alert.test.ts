// `rdl-sync alert test` as a person runs it: says when nothing is set up (exit 2), sends through
// the webhook (exit 0), and names a failing channel (exit 1) without the URL's token.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli, type CliEnv } from '../cli/cli-harness.js';
import { AlertSecretStore } from '../../src/engine/alerts/secrets.js';
import { startWebhookServer, type LoopbackHttp } from './loopback.js';

let emulator: Emulator;
let hook: LoopbackHttp;
let dirs: Awaited<ReturnType<typeof makeDirs>>;

before(async () => {
  emulator = await startEmulator({});
  // The first request succeeds; every later one is refused as a wrong URL.
  hook = await startWebhookServer((n) => (n === 0 ? 200 : 404));
  dirs = await makeDirs('rdl-cli-alert-');
});

after(async () => {
  await hook.close();
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
});

test('rdl-sync alert test: none set up, then a webhook that works, then one that fails', async () => {
  const env: CliEnv = { home: dirs.root };
  const cli = (...args: string[]) => runCli([...args, '--config-dir', dirs.configDir], env);
  await writeConfig(dirs.configDir, testSettings(dirs, emulator, { site: 'Site4' }), emulator);

  const none = await cli('alert', 'test');
  assert.equal(none.code, 2, none.stdout + none.stderr);
  assert.match(none.stdout, /No alert channel is set up/);

  await new AlertSecretStore(dirs.configDir).set('webhook-url', `${hook.url}/t/Tok3n-Secret-99`);
  const set = await cli('settings', 'set', 'alertWebhookFormat', 'slack');
  assert.equal(set.code, 0, set.stdout + set.stderr);
  const ok = await cli('alert', 'test');
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  // Said before any answer: a relay that never answers took a minute and more of silence.
  assert.deepEqual(ok.stdout.trim().split('\n'), [
    `Sending a test alert: webhook (slack) to ${new URL(hook.url).host}. A server that does not answer can take a minute or more to give up on…`,
    `ok      webhook (slack) to ${new URL(hook.url).host}`,
  ]);
  assert.equal(hook.requests.length, 1);
  // Read by the people who act on alerts: before, titled "needs attention (test)".
  const text = (hook.requests[0]!.body as { text: string }).text;
  assert.match(text, /^\*RDL Sync Site4: test alert, nothing to do \(test\)\*\n/);
  assert.match(text, /alerts reach you here\. Nothing needs doing\.\n/);
  assert.doesNotMatch(text, /needs attention/);

  const bad = await cli('alert', 'test');
  assert.equal(bad.code, 1, bad.stdout + bad.stderr);
  assert.match(
    bad.stdout,
    /^Sending a test alert: webhook \(slack\) to [^\n]+\nFAILED {2}webhook \(slack\) to 127\.0\.0\.1:\d+: .*HTTP 404/,
  );
  assert.ok(!bad.stdout.includes('Tok3n-Secret-99'));
  const log = await fs.readFile(`${dirs.configDir}/logs/rdl-sync.log`, 'utf8');
  assert.ok(!log.includes('Tok3n-Secret-99'), 'the token never reaches the log');
  assert.match(log, /alert channel failed/);

  // Found by an operator trial: its URL removed, the webhook was passed over and the test said
  // all was well (exit 0), while the status said alerts by webhook are not getting through.
  const removed = await cli('alert', 'secret', 'webhook-url', '--remove');
  assert.equal(removed.code, 0, removed.stdout + removed.stderr);
  const noUrl = await cli('alert', 'test');
  assert.equal(noUrl.code, 1, noUrl.stdout + noUrl.stderr);
  assert.equal(
    noUrl.stdout.trim(),
    'FAILED  webhook (slack): its URL is not set: rdl-sync alert secret webhook-url',
  );
});
