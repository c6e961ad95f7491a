// The bench reads `rdl-sync once`'s share of the link against a bare client's
// (tools/bench/bare-client.mjs): a ceiling only if that client really commits every file, with
// the same kinds of requests, under the header limit. Here it runs as the bench runs it (its own
// node process) against the emulator over loopback, with small limits so that it needs several
// start_batch calls, many packs and several commits.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator, type Emulator } from '../../tools/emulator/index.js';
import { contentHashOf } from '../../src/engine/dropbox/content-hash.js';

const BARE_CLIENT = fileURLToPath(new URL('../../tools/bench/bare-client.mjs', import.meta.url));

let emu: Emulator;
let dir: string;

before(async () => {
  emu = await startEmulator();
  dir = await mkdtemp(join(tmpdir(), 'rdl-bare-'));
});
after(async () => {
  await emu.close();
  await rm(dir, { recursive: true, force: true });
});

async function token(): Promise<string> {
  const res = await fetch(`${emu.url}/oauth2/token`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: emu.issueRefreshToken(),
      client_id: emu.appKey,
    }).toString(),
  });
  assert.equal(res.status, 200);
  return ((await res.json()) as { access_token: string }).access_token;
}

function runBare(options: object): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BARE_CLIENT, JSON.stringify(options)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

test('the bare client commits every file, in packs under the header limit and in turns', async () => {
  const files = new Map<string, Buffer>();
  for (let i = 0; i < 130; i++) {
    // Sizes differ (one empty), so a file put in the wrong session or at the wrong place shows.
    const body = Buffer.alloc(i === 7 ? 0 : 100 + i * 37, String.fromCharCode(97 + (i % 26)));
    const name = `rec-${String(i).padStart(3, '0')}.csv`;
    files.set(name, body);
    await writeFile(join(dir, name), body);
  }
  emu.resetStats();
  const options = {
    url: emu.url,
    token: await token(),
    dir,
    remote: '/bare',
    headerBytes: 1024,
    bodyLimit: 4 * 1024,
    bodiesInFlight: 4,
    commitAt: 30,
    batchEntries: 50,
  };
  const run = await runBare(options);
  assert.equal(run.code, 0, run.stderr);

  const stored = emu.listFiles().filter((f) => f.pathDisplay.startsWith('/bare/'));
  assert.equal(stored.length, files.size);
  for (const f of stored) {
    const body = files.get(f.pathDisplay.slice('/bare/'.length));
    assert.ok(body, `unexpected ${f.pathDisplay}`);
    assert.equal(f.size, body.length, f.pathDisplay);
    assert.equal(f.contentHash, contentHashOf(body), f.pathDisplay);
  }
  const stats = emu.stats();
  assert.equal(stats['files/upload_session/start_batch'], 3); // 50 + 50 + 30 sessions
  // Packs of at most 1 KiB of header (a handful of entries each) or 4 KiB of body.
  assert.ok((stats['files/upload_session/append_batch'] ?? 0) >= 20, JSON.stringify(stats));
  // Each commit holds at most batchEntries: at least three for 130 files.
  assert.ok((stats['files/upload_session/finish_batch_v2'] ?? 0) >= 3, JSON.stringify(stats));
  assert.equal(stats['files/upload'] ?? 0, 0);
});

test('the bare client fails loudly when a request is refused', async () => {
  const run = await runBare({
    url: emu.url,
    token: 'not-a-token',
    dir,
    remote: '/refused',
    headerBytes: 1024,
    bodyLimit: 4096,
    bodiesInFlight: 2,
    commitAt: 30,
    batchEntries: 50,
  });
  assert.notEqual(run.code, 0);
  assert.match(run.stderr, /start_batch: HTTP 401/);
  assert.equal(emu.listFiles().filter((f) => f.pathDisplay.startsWith('/refused/')).length, 0);
});
