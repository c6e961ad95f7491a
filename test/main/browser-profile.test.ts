// Chromium's profile never lands in the settings folder, whatever the platform and XDG variables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { browserProfileDir } from '../../src/main/browser-profile.js';
import { defaultConfigDir } from '../../src/engine/settings/paths.js';

test('the browser profile is outside the settings folder', () => {
  const home = '/home/pi';
  const cases: [NodeJS.Platform, NodeJS.ProcessEnv, string][] = [
    ['linux', {}, path.join(home, '.config')],
    ['linux', { XDG_CONFIG_HOME: '/x/conf', XDG_CACHE_HOME: '/x/cache' }, '/x/conf'],
    ['linux', { XDG_CACHE_HOME: 'relative' }, path.join(home, '.config')],
    ['darwin', {}, path.join(home, 'Library', 'Application Support')],
  ];
  for (const [platform, env, appData] of cases) {
    const profile = browserProfileDir(appData, env, platform, home);
    const settings = defaultConfigDir(env, platform, home);
    assert.ok(
      !profile.startsWith(settings) && !settings.startsWith(profile),
      `${platform} ${JSON.stringify(env)}: ${profile} vs ${settings}`,
    );
    assert.ok(path.isAbsolute(profile));
  }
  assert.equal(
    browserProfileDir('/unused', { XDG_CACHE_HOME: '/x/cache' }, 'linux', home),
    '/x/cache/rdl-sync/browser',
  );
});
