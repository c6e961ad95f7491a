// Strict 400s with plain-text bodies (section 7 item 11) and Dropbox-style JSON (item 12).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, rawPost, rawUtf8Header, sdkError, type Harness } from './helpers.js';

let h: Harness;
let token: string;
before(async () => {
  h = await harness();
  token = await h.accessToken();
});
after(async () => {
  await h.emu.close();
});

function upload(arg: string, headers: Record<string, string> = {}) {
  return rawPost(h.emu, '/2/files/upload', {
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/octet-stream',
      'Dropbox-API-Arg': arg,
      ...headers,
    },
    body: 'bytes',
  });
}

function rpc(route: string, body: string, headers: Record<string, string> = {}) {
  return rawPost(h.emu, `/2/${route}`, {
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers },
    body,
  });
}

test('a Content-Type other than the exact accepted ones is a 400 naming the header', async () => {
  for (const type of ['application/octet-stream; charset=utf8', 'application/json', 'text/plain']) {
    const res = await upload('{"path":"/x.txt"}', { 'Content-Type': type });
    assert.equal(res.status, 400, type);
    assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
    assert.match(
      res.text,
      /^Error in call to API function "files\/upload": Bad HTTP "Content-Type" header/,
    );
  }
  const ok = await upload('{"path":"/x.txt"}', {
    'Content-Type': 'text/plain; charset=dropbox-cors-hack',
  });
  assert.equal(ok.status, 200, ok.text);
  const rpcBad = await rpc('files/get_metadata', '{"path":"/x.txt"}', {
    'Content-Type': 'text/plain',
  });
  assert.equal(rpcBad.status, 400);
});

test('raw UTF-8 in Dropbox-API-Arg is refused; the \\u-escaped form is accepted', async () => {
  const raw = await upload(rawUtf8Header('{"path":"/naïve ☃.txt"}'));
  assert.equal(raw.status, 400);
  assert.match(raw.text, /could not decode input as JSON/);
  assert.equal(
    h.emu.listFiles().some((f) => f.pathDisplay.startsWith('/na')),
    false,
  );
  const escaped = await upload('{"path":"/na\\u00efve \\u2603.txt"}');
  assert.equal(escaped.status, 200, escaped.text);
  assert.equal(h.emu.getFile('/NAÏVE ☃.TXT')?.pathDisplay, '/naïve ☃.txt');
});

test('timestamps must be %Y-%m-%dT%H:%M:%SZ', async () => {
  for (const bad of [
    '2024-01-01T00:00:00.000Z',
    '2024-01-01T00:00:00+00:00',
    '2024-13-01T00:00:00Z',
  ]) {
    const err = await sdkError<string>(
      h.dbx.filesUpload({ path: '/t.txt', contents: Buffer.from('t'), client_modified: bad }),
    );
    assert.equal(err.status, 400, bad);
    assert.match(
      err.error,
      /client_modified: time data '.*' does not match format '%Y-%m-%dT%H:%M:%SZ'/,
    );
  }
});

test('root and slash rules: "/" as root, get_metadata(""), trailing slash, missing leading slash', async () => {
  const slashRoot = await sdkError<string>(h.dbx.filesListFolder({ path: '/' }));
  assert.equal(slashRoot.status, 400);
  assert.match(slashRoot.error, /Specify the root folder as an empty string rather than as "\/"/);
  const emptyMeta = await sdkError<string>(h.dbx.filesGetMetadata({ path: '' }));
  assert.equal(emptyMeta.status, 400);
  assert.match(emptyMeta.error, /The root folder is unsupported/);
  const trailing = await sdkError<string>(
    h.dbx.filesUpload({ path: '/dir/', contents: Buffer.from('x') }),
  );
  assert.equal(trailing.status, 400);
  const relative = await sdkError<string>(
    h.dbx.filesUpload({ path: 'dir/x.txt', contents: Buffer.from('x') }),
  );
  assert.equal(relative.status, 400);
  assert.match(relative.error, /did not match pattern/);
  const listed = await h.dbx.filesListFolder({ path: '' });
  assert.ok(Array.isArray(listed.result.entries));
});

test('fields of the wrong type, malformed JSON and a missing Authorization are 400s', async () => {
  const wrongType = await rpc('files/get_metadata', '{"path": 42}');
  assert.equal(wrongType.status, 400);
  assert.match(wrongType.text, /request body: path: expected string/);
  const notJson = await rpc('files/get_metadata', '{path:');
  assert.equal(notJson.status, 400);
  const badBool = await upload('{"path":"/b.txt","autorename":"yes"}');
  assert.equal(badBool.status, 400);
  assert.match(badBool.text, /HTTP header "Dropbox-API-Arg": autorename: expected boolean/);
  const noAuth = await rawPost(h.emu, '/2/check/user', {
    headers: { 'Content-Type': 'application/json' },
    body: '{}',
  });
  assert.equal(noAuth.status, 400);
  assert.match(noAuth.text, /Authorization/);
});

test('a route sent to the wrong Dropbox host is a 400; without X-Dropbox-Host either host is fine', async () => {
  const wrongHost = await upload('{"path":"/h.txt"}', { 'X-Dropbox-Host': 'api.dropboxapi.com' });
  assert.equal(wrongHost.status, 400);
  assert.match(wrongHost.text, /content\.dropboxapi\.com/);
  const rpcOnContent = await rpc('check/user', '{}', {
    'X-Dropbox-Host': 'content.dropboxapi.com',
  });
  assert.equal(rpcOnContent.status, 400);
  const right = await rpc('check/user', '{"query":"q"}', {
    'X-Dropbox-Host': 'api.dropboxapi.com',
  });
  assert.equal(right.status, 200);
});

test('Void routes accept no body and no Content-Type, or a JSON null', async () => {
  const empty = await rawPost(h.emu, '/2/users/get_space_usage', {
    headers: { Authorization: `Bearer ${token}` },
  });
  assert.equal(empty.status, 200, empty.text);
  const nullBody = await rpc('users/get_space_usage', 'null');
  assert.equal(nullBody.status, 200, nullBody.text);
});

test('JSON answers have a space after each : and , outside strings; error_summary dots vary', async () => {
  const res = await rpc('check/user', JSON.stringify({ query: 'a,b:c' }));
  assert.equal(res.text, '{"result": "a,b:c"}');
  const meta = await upload('{"path":"/spacing.txt"}');
  assert.match(meta.text, /^\{"name": "spacing.txt", "path_lower": "\/spacing.txt", /);
  const tails = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const miss = await rpc('files/get_metadata', '{"path":"/missing"}');
    assert.equal(miss.status, 409);
    const summary = JSON.parse(miss.text).error_summary as string;
    assert.match(summary, /^path\/not_found\/\.{0,3}$/);
    tails.add(summary);
  }
  assert.ok(tails.size > 1, 'the trailing dots vary between answers');
});

test('downloads carry a header-safe Dropbox-API-Result', async () => {
  h.emu.putFile('/dl/ünïcödé 😀.txt', Buffer.from('content'));
  const res = await rawPost(h.emu, '/2/files/download', {
    headers: {
      Authorization: `Bearer ${token}`,
      'Dropbox-API-Arg': '{"path":"/dl/\\u00fcn\\u00efc\\u00f6d\\u00e9 \\ud83d\\ude00.txt"}',
    },
  });
  assert.equal(res.status, 200, res.text);
  assert.equal(res.text, 'content');
  const header = String(res.headers['dropbox-api-result']);
  assert.match(header, /^[\x20-\x7e]+$/, 'only printable ASCII');
  assert.match(header, /\\u00fcn\\u00efc\\u00f6d\\u00e9 \\ud83d\\ude00/);
  assert.equal(JSON.parse(header).name, 'ünïcödé 😀.txt');
  const viaSdk = await h.dbx.filesDownload({ path: '/dl/ünïcödé 😀.txt' });
  assert.equal(viaSdk.result.name, 'ünïcödé 😀.txt');
});
