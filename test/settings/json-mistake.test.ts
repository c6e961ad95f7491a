// A hand-edit mistake in the settings file must be reported by line and column with what to look
// for, never with V8's message: that quoted the text beside the typo (`Unexpected token 'a',
// ..."mtpUser": apikey,...`), which can be a password, into the status, the alerts and the e-mails;
// and for `,,` it said "Expected double-quoted property name in JSON at position 339".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSettingsWriter, openSettingsStore } from '../../src/engine/settings/store.js';
import { parseHeartbeat } from '../../src/engine/fleet/heartbeat.js';
import { whereJsonInvalid } from '../../src/engine/json-mistake.js';

const cases: [string, string, string][] = [
  [
    'a value without quotes',
    '{\n\t"site": "lab",\n\t"smtpUser": hunter2secret,\n\t"smtpPort": 587\n}\n',
    'line 3, column 14',
  ],
  ['two commas', '{\r\n  "site": "lab",,\r\n  "smtpPort": 587\r\n}\r\n', 'line 2, column 17'],
  ['a missing comma', '{\n  "site": "lab"\n  "smtpPort": 587\n}\n', 'line 3, column 3'],
  ['single quotes', "{\n  'site': 'lab'\n}\n", 'line 2, column 3'],
];

for (const [what, text, where] of cases) {
  test(`settings file with ${what}: line and column and what to look for, no quoted text`, (t) => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-json-mistake-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'config.json'), text);
    const store = openSettingsStore({ configDir: dir, home: '/home/pi' });
    t.after(() => store.close());
    const r = store.load();
    assert.ok(!r.ok);
    const said = r.issues.map((i) => i.message).join('\n');
    assert.match(said, /is not valid JSON \(the parser stopped at /, said);
    assert.ok(said.includes(`at ${where};`), said);
    assert.match(said, /look there for a missing comma or double quotes/, said);
    assert.doesNotMatch(said, /hunter2|"site"|'site'|lab|position|Unexpected|Expected/, said);
  });
}

test('the place is found where V8 gives none, and a cut-short file is said so', () => {
  assert.equal(whereJsonInvalid('{"a": tru}'), 'the parser stopped at line 1, column 7');
  assert.equal(whereJsonInvalid('{"a": 1'), 'it ends too early');
  assert.equal(whereJsonInvalid('  \n'), 'it ends too early');
  assert.equal(whereJsonInvalid('{"a": 1} x'), 'the parser stopped at line 1, column 10');
  assert.equal(whereJsonInvalid('{"a": "\\q"}'), 'the parser stopped at line 1, column 9');
});

test("a damaged heartbeat's reason does not quote the file", () => {
  const r = parseHeartbeat('{"host": pi-secret-host}');
  assert.ok(!r.ok);
  assert.equal(r.reason, 'not JSON (the parser stopped at line 1, column 10)');
});

test('a pause kept in memory beside a broken file: the log and the reason name the place, not the text', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-json-mistake-state-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'config.json'), '{\n  "smtpUser": hunter2secret\n}\n');
  const logged: string[] = [];
  const logger = {
    debug: () => {},
    info: () => {},
    warn: (m: string, f?: Record<string, unknown>) => logged.push(`${m} ${JSON.stringify(f)}`),
    error: () => {},
  };
  await loadSettingsWriter();
  const store = openSettingsStore({ configDir: dir, home: '/home/pi', logger });
  t.after(() => store.close());
  store.setState({ paused: true, pausedUntilMs: null });
  const said = `${logged.join('\n')}\n${store.stateNotSaved() ?? ''}`;
  assert.match(said, /Pause state kept in memory only/);
  assert.match(said, /line 2, column 15/);
  assert.doesNotMatch(said, /hunter2|Unexpected token/, said);
});
