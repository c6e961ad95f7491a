// The app scheme's URL-to-file rule (src/main/app-protocol.ts) against real files in a temp
// renderer folder: the bundled files are served with their types; traversal in every spelling,
// folders, other hosts, unknown types and a symlink leading out are all 404.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { APP_PAGE_URL, PAGE_CSP, appFileOf, serveAppFile } from '../../src/main/app-protocol.js';

const root = path.join(import.meta.dirname, '..', '..');

function rendererFolder(t: { after(fn: () => void): void }): { dir: string; outside: string } {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'rdl-app-scheme-'));
  t.after(() => fs.rmSync(base, { recursive: true, force: true }));
  const dir = path.join(base, 'renderer');
  fs.mkdirSync(path.join(dir, 'charts'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>RDL Sync</title>');
  fs.writeFileSync(path.join(dir, 'app.js'), 'void 0;');
  fs.writeFileSync(path.join(dir, 'app.css'), 'body{}');
  fs.writeFileSync(path.join(dir, 'charts', 'bar.svg'), '<svg/>');
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'not a type the page uses');
  fs.writeFileSync(path.join(dir, '.hidden.js'), 'hidden');
  // Beside the folder: what a traversal would be after.
  const outside = path.join(base, 'secret.js');
  fs.writeFileSync(outside, 'SECRET');
  fs.writeFileSync(path.join(base, 'secret.html'), 'SECRET');
  fs.symlinkSync(outside, path.join(dir, 'linked.js'));
  fs.symlinkSync(base, path.join(dir, 'up'));
  return { dir, outside };
}

test('the bundled files are served with their types, the page with its CSP as a header', async (t) => {
  const { dir } = rendererFolder(t);
  const page = await serveAppFile(APP_PAGE_URL, dir);
  assert.equal(page.status, 200);
  assert.equal(page.headers['Content-Type'], 'text/html; charset=utf-8');
  assert.equal(page.headers['Content-Security-Policy'], PAGE_CSP);
  assert.equal(page.headers['X-Content-Type-Options'], 'nosniff');
  assert.match(Buffer.from(page.body!).toString(), /<title>RDL Sync/);
  const types: Record<string, string> = {
    'rdl-sync://app/app.js': 'text/javascript; charset=utf-8',
    'rdl-sync://app/app.css': 'text/css; charset=utf-8',
    'rdl-sync://app/charts/bar.svg': 'image/svg+xml',
    // Query and fragment do not change the file (the page is reloaded with a fragment).
    'rdl-sync://app/index.html?x=1#log': 'text/html; charset=utf-8',
  };
  for (const [url, type] of Object.entries(types)) {
    const r = await serveAppFile(url, dir);
    assert.equal(r.status, 200, url);
    assert.equal(r.headers['Content-Type'], type, url);
    assert.equal(
      r.headers['Content-Security-Policy'],
      type.startsWith('text/html') ? PAGE_CSP : undefined,
    );
  }
  const head = await serveAppFile(APP_PAGE_URL, dir, 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, null);
});

test('traversal, other hosts, folders, unknown types and symlinks out are all 404', async (t) => {
  const { dir } = rendererFolder(t);
  const refused = [
    // Traversal, plain and encoded (the parser would fold these into "/secret.js").
    'rdl-sync://app/../secret.js',
    'rdl-sync://app/../../../../etc/passwd',
    'rdl-sync://app/charts/../../secret.js',
    'rdl-sync://app/%2e%2e/secret.js',
    'rdl-sync://app/%2E%2E/secret.js',
    'rdl-sync://app/.%2e/secret.js',
    'rdl-sync://app/%2e./secret.js',
    'rdl-sync://app/./index.html',
    'rdl-sync://app/%2e/index.html',
    // Encoded separators and nul: one segment that is really a path.
    'rdl-sync://app/..%2fsecret.js',
    'rdl-sync://app/charts%2F..%2F..%2Fsecret.js',
    'rdl-sync://app/..%5csecret.js',
    'rdl-sync://app/..\\secret.js',
    'rdl-sync://app/index.html%00.js',
    'rdl-sync://app/%252e%252e/secret.js',
    // Absolute paths and empty segments.
    'rdl-sync://app//etc/passwd',
    'rdl-sync://app/%2fetc%2fpasswd',
    // Folders: no listing, and no index page for them.
    'rdl-sync://app/',
    'rdl-sync://app',
    'rdl-sync://app/charts',
    'rdl-sync://app/charts/',
    // Types the page does not use, hidden files, missing files.
    'rdl-sync://app/notes.txt',
    'rdl-sync://app/.hidden.js',
    'rdl-sync://app/missing.js',
    // Symlinks that lead out of the folder.
    'rdl-sync://app/linked.js',
    'rdl-sync://app/up/secret.js',
    // Other hosts, credentials, ports, other schemes.
    'rdl-sync://evil/index.html',
    'rdl-sync://app.evil/index.html',
    'rdl-sync://user:pw@app/index.html',
    'rdl-sync://app:8080/index.html',
    'file:///etc/passwd',
    `file://${dir}/index.html`,
    'https://app/index.html',
    'not a url',
    '',
  ];
  for (const url of refused) {
    const r = await serveAppFile(url, dir);
    assert.equal(r.status, 404, url);
    assert.equal(r.headers['Content-Type'], 'text/plain; charset=utf-8', url);
    assert.doesNotMatch(Buffer.from(r.body!).toString(), /SECRET|root:/, url);
  }
  // Only reads: a POST for the page is refused too.
  assert.equal((await serveAppFile(APP_PAGE_URL, dir, 'POST')).status, 404);
});

test('the decision alone: segments of plain names, or null', () => {
  assert.deepEqual(appFileOf('rdl-sync://app/charts/bar.svg'), ['charts', 'bar.svg']);
  assert.deepEqual(appFileOf('RDL-SYNC://APP/index.html'), ['index.html']);
  assert.equal(appFileOf('rdl-sync://app/../index.html'), null);
  assert.equal(appFileOf('rdl-sync://app/a/%2e%2e/index.html'), null);
});

test('the header CSP is the one index.html declares', () => {
  const html = fs.readFileSync(path.join(root, 'src', 'renderer', 'index.html'), 'utf8');
  const meta = /http-equiv="Content-Security-Policy"\s+content="([^"]+)"/.exec(html);
  assert.equal(meta?.[1], PAGE_CSP);
});
