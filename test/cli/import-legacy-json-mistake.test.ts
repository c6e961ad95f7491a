// A hand-edited old config.json that no longer parses (WORKLOAD.md: hand-edited JSON mistakes are
// a field pain), saved by a Windows editor with \r\n line ends: `import-legacy` must point at the
// line and column an editor shows, and say what to look for there. It said "the parser stopped at
// character 44", which a technician in nano had to count out by hand.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { cliSandbox, runCli } from './cli-harness.js';
import { currentPiHub } from '../legacy/fixtures.js';

const { root, env } = cliSandbox('rdl-cli-legacy-json-');

const cases: [string, string, RegExp][] = [
  [
    'a comma left after the last key',
    '{\r\n    "SITE": "Site7_Farm",\r\n    "SD_CARD_NAME": "",\r\n}\r\n',
    /at line 4, column 1\b/,
  ],
  [
    'a # comment line',
    '{\r\n    # the site\r\n    "SITE": "Site7_Farm",\r\n    "SD_CARD_NAME": ""\r\n}\r\n',
    /at line 2, column 5\b/,
  ],
];

for (const [what, text, where] of cases) {
  test(`old config.json with ${what}: the import names the line and column, saves nothing`, async () => {
    const hub = path.join(root, what.replace(/\W+/g, '-'), 'SHELF3');
    await currentPiHub(hub, 'Site7_Farm');
    await fs.writeFile(path.join(hub, 'config.json'), text);
    const configDir = path.join(hub, '..', 'settings');

    const r = await runCli(['import-legacy', '--root', hub, '--config-dir', configDir], env);

    assert.notEqual(r.code, 0, r.stdout);
    const said = r.stdout + r.stderr;
    // Named with its path: a hub may keep one old config.json per logger folder.
    assert.ok(
      said.includes(`The old config.json (${path.join(hub, 'config.json')}) is not valid JSON`),
      said,
    );
    assert.match(said, where, said);
    assert.match(said, /a comma before \} or \], a # or \/\/ comment, or single quotes/, said);
    assert.doesNotMatch(said, /character \d+/);
    await assert.rejects(fs.access(path.join(configDir, 'config.json')), 'nothing imported');
  });
}
