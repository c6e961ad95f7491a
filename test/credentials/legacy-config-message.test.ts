// An old config.json with a typo must not have its text quoted back: V8's JSON.parse message
// quotes the characters around the fault, so a secret beside a typo (or the start of any file
// chosen by mistake in the window) reached the window, the terminal and the log.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseLegacyConfig } from '../../src/engine/legacy/python-config.js';

function messageOf(text: string): string {
  try {
    parseLegacyConfig(text);
  } catch (e) {
    return (e as Error).message;
  }
  assert.fail('parsed');
}

test('a broken old config.json is reported by position, never by quoting it', () => {
  const secret = 'q8w7e6r5t4y3u2i1';
  const cases: [string, RegExp][] = [
    // An unquoted value: V8 said `Unexpected token 'q', ..."_SECRET": q8w7e6r5t4"...`, with no
    // position; the place is found all the same.
    [`{"SITE": "Lake", "APP_SECRET": ${secret}}`, /stopped at line 1, column 32;/],
    [`{"SITE": "Lake", "APP_SECRET": "${secret}" "X": 1}`, /stopped at line 1, column 51;/],
    [`{"SITE": "Lake", "APP_SECRET": "${secret}`, /\(it ends too early\)/],
    ['', /\(it ends too early\)/],
    [
      '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU',
      /at line 1, column 2;/,
    ],
  ];
  for (const [text, where] of cases) {
    const message = messageOf(text);
    assert.match(message, /^The old config\.json is not valid JSON \(/);
    assert.match(message, where);
    for (const part of [secret.slice(0, 6), 'BEGIN', 'OPENSSH', 'b3Bl'])
      assert.ok(!message.includes(part), `quoted "${part}": ${message}`);
  }
});
