// The first-run setup's search for the old syncer, on real folders laid out as on the hubs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findOldSetups } from '../../src/main/old-setup-finder.js';

test('finds the old syncer in this home and in another user’s, with the uploader file', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-old-setup-'));
  try {
    const homes = path.join(root, 'home');
    const me = path.join(homes, 'me');
    const pi = path.join(homes, 'pi');
    // /home/pi/SHELF3 with the current layout and the uploader's file.
    fs.mkdirSync(path.join(pi, 'SHELF3', 'logging-folder', '2_tosync'), { recursive: true });
    fs.writeFileSync(path.join(pi, 'SHELF3', 'config.json'), '{"SITE": "Site3_Lakeshore"}');
    fs.writeFileSync(path.join(pi, '.dropbox_uploader'), 'OAUTH_APP_KEY=x\n');
    // ~/old with the older names, no uploader file.
    fs.mkdirSync(path.join(me, 'old', 'tosync'), { recursive: true });
    fs.writeFileSync(path.join(me, 'old', 'config.json'), '{"SITE": "Site1"}');
    // A config.json with no stage folders is not an old syncer.
    fs.mkdirSync(path.join(me, 'project'), { recursive: true });
    fs.writeFileSync(path.join(me, 'project', 'config.json'), '{}');

    const found = await findOldSetups(me, homes);
    assert.deepEqual(found, [
      {
        root: path.join(me, 'old'),
        configJsonPath: path.join(me, 'old', 'config.json'),
        watchDir: path.join(me, 'old', 'tosync'),
        uploaderConfigPath: null,
      },
      {
        root: path.join(pi, 'SHELF3'),
        configJsonPath: path.join(pi, 'SHELF3', 'config.json'),
        watchDir: path.join(pi, 'SHELF3', 'logging-folder', '2_tosync'),
        uploaderConfigPath: path.join(pi, '.dropbox_uploader'),
      },
    ]);
    assert.deepEqual(await findOldSetups(path.join(root, 'nobody'), path.join(root, 'none')), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
