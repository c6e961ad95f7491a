// One way to open the saved Dropbox connection (engine, retention, `rdl-sync doctor`): the
// credentials' app key first, the settings' when they were saved without one; neither is an
// error naming the fix. Real SDK objects; no call is made.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connectSavedDropbox } from '../../src/engine/index.js';

const settings = { dropboxAppKey: 'key-from-settings', dropboxEndpoint: 'http://127.0.0.1:9' };

test('the saved connection uses the credentials’ app key, else the settings’ one, and names the fix when neither is set', () => {
  const own = connectSavedDropbox(settings, { appKey: 'key-saved', refreshToken: 'r' });
  assert.equal(own.auth.getClientId(), 'key-saved');
  const fallback = connectSavedDropbox(settings, { appKey: '', refreshToken: 'r' });
  assert.equal(fallback.auth.getClientId(), 'key-from-settings');
  assert.equal(fallback.endpoint, 'http://127.0.0.1:9');
  assert.throws(
    () =>
      connectSavedDropbox({ ...settings, dropboxAppKey: '' }, { appKey: '', refreshToken: 'r' }),
    /No Dropbox app key is set: .*rdl-sync settings set dropboxAppKey KEY/,
  );
});
