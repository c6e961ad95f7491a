// The CLI runs the emulator out of process (as the crash test and the demo use it).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { emulatorClient } from './sdk-client.js';

test('npm run emulator: prints its details as JSON, serves the SDK, obeys admin faults, stops on SIGINT', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'emu-cli-'));
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      fileURLToPath(new URL('../../tools/emulator/cli.ts', import.meta.url)),
      '--port',
      '0',
      '--data',
      dataDir,
      '--json',
      '--fault',
      '{"route":"check/user","kind":"server_error","status":503}',
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const killTimer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    const lines = createInterface({ input: child.stdout! });
    const [first] = (await once(lines, 'line')) as [string];
    const info = JSON.parse(first) as {
      url: string;
      adminToken: string;
      appKey: string;
      refreshToken: string;
    };
    assert.match(info.url, /^http:\/\/127\.0\.0\.1:\d+$/);

    const { dbx } = emulatorClient({ url: info.url, appKey: info.appKey }, info.refreshToken);
    await assert.rejects(
      dbx.checkUser({ query: 'x' }),
      (err: { status: number }) => err.status === 503,
    );
    assert.equal((await dbx.checkUser({ query: 'up' })).result.result, 'up');
    await dbx.filesUpload({ path: '/cli/file.txt', contents: Buffer.from('on disk') });
    assert.ok(readdirSync(join(dataDir, 'blobs')).length >= 1, 'blobs live in --data');

    const files = await fetch(`${info.url}/__admin/files`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${info.adminToken}` },
    });
    assert.deepEqual(
      (await files.json()).map((f: { pathDisplay: string }) => f.pathDisplay),
      ['/cli/file.txt'],
    );

    child.kill('SIGINT');
    const [code] = (await once(child, 'exit')) as [number | null];
    assert.equal(code, 0);
    assert.ok(existsSync(dataDir), 'a --data folder given by the caller is kept');
  } finally {
    clearTimeout(killTimer);
    if (child.exitCode === null) child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
});
