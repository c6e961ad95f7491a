import { test } from 'node:test';
import assert from 'node:assert/strict';
import { configFilePath, defaultConfigDir } from '../../src/engine/settings/paths.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { validateSettings } from '../../src/engine/settings/validate.js';

test('RDL_SYNC_CONFIG_DIR wins on every platform', () => {
  for (const platform of ['linux', 'darwin', 'win32'] as const) {
    assert.equal(
      defaultConfigDir({ RDL_SYNC_CONFIG_DIR: '/srv/rdl' }, platform, '/home/pi'),
      '/srv/rdl',
    );
  }
});

test('Linux uses XDG_CONFIG_HOME, else ~/.config, and ignores a relative XDG_CONFIG_HOME', () => {
  assert.equal(
    defaultConfigDir({ XDG_CONFIG_HOME: '/x/cfg' }, 'linux', '/home/pi'),
    '/x/cfg/rdl-sync',
  );
  assert.equal(defaultConfigDir({}, 'linux', '/home/pi'), '/home/pi/.config/rdl-sync');
  assert.equal(
    defaultConfigDir({ XDG_CONFIG_HOME: 'cfg' }, 'linux', '/home/pi'),
    '/home/pi/.config/rdl-sync',
  );
});

test('macOS and Windows use their application data folders', () => {
  assert.equal(
    defaultConfigDir({}, 'darwin', '/Users/ann'),
    '/Users/ann/Library/Application Support/rdl-sync',
  );
  assert.equal(
    defaultConfigDir({ APPDATA: 'C:\\Users\\ann\\AppData\\Roaming' }, 'win32', 'C:\\Users\\ann'),
    'C:\\Users\\ann\\AppData\\Roaming\\rdl-sync',
  );
  assert.equal(
    defaultConfigDir({}, 'win32', 'C:\\Users\\ann'),
    'C:\\Users\\ann\\AppData\\Roaming\\rdl-sync',
  );
});

test('the shared file is <configDir>/config.json', () => {
  assert.equal(
    configFilePath('/home/pi/.config/rdl-sync'),
    '/home/pi/.config/rdl-sync/config.json',
  );
});

test('defaults put the folders under ~/rdl and are themselves valid', () => {
  const d = defaultSettings('/home/pi');
  assert.equal(d.watchDir, '/home/pi/rdl/tosync');
  assert.equal(d.transitDir, '/home/pi/rdl/transit');
  // A fresh install is deliberately incomplete: the user must name the site and pick the card.
  const r = validateSettings(
    { ...d, archiveDir: '/media/pi/SD1', site: 'site1' },
    { home: '/home/pi' },
  );
  assert.equal(r.ok, true, JSON.stringify(r));
  const fresh = validateSettings(d, { home: '/home/pi' });
  assert.equal(fresh.ok, false);
  assert.deepEqual(!fresh.ok && fresh.issues.map((i) => i.field).sort(), ['archiveDir', 'site']);
});
