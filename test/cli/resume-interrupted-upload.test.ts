// A large file's upload stopped mid-way (Ctrl-C on `rdl-sync once`, a kill, a reboot) leaves a
// concurrent upload session on Dropbox holding chunks the journal does not count yet: the
// journal's offset lags what landed. The next run resumes the session from that offset, cutting
// its chunks at the sizes the link's pace gives now, which need not be the earlier ones; the
// chunks then overlap, and every commit was refused with concurrent_session_missing_data. The
// file stayed in transit "failing" at every pass until the session expired six days later (seen
// by hand: Ctrl-C on `once` 2.5 s into a 60 MB file, then every `once` failed on it). Now such a
// session is given up and the file uploaded afresh.
//
// The state is made as the interrupted run leaves it: the session and its chunks on the emulator
// (4 MiB cuts, the last one closing it), the journal naming the session at offset 0.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, dropboxContentHash, type Emulator } from '../../tools/emulator/index.js';
import { emulatorClient } from '../emulator/sdk-client.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { runCli } from './cli-harness.js';

const MiB = 1024 * 1024;
const REL = 'cameras/infrared1/2026-12-04/stack.bin';

let emulator: Emulator;
let dirs: Awaited<ReturnType<typeof makeDirs>>;

before(async () => {
  emulator = await startEmulator({});
  dirs = await makeDirs('rdl-cli-resume-interrupted-');
  await writeConfig(
    dirs.configDir,
    testSettings(dirs, emulator, { site: 'Site7_Farm', chunkSizeMiB: 16 }),
    emulator,
  );
});

after(async () => {
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
});

test('an upload interrupted mid-file is finished by the next once, not failed until the session expires', async () => {
  // 20 MiB and a bit: a concurrent session of several chunks, the last one short.
  const bytes = randomBytes(20 * MiB + 4321);
  const file = path.join(dirs.transitDir, ...REL.split('/'));
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, bytes);
  const st = await fs.stat(file);

  // What landed before the interruption: 4 MiB chunks from 4 MiB on, closing at the end; the
  // chunk at 0 was still on the wire. The journal had saved the session before any chunk landed.
  const { dbx } = emulatorClient(emulator, emulator.issueRefreshToken());
  const started = await dbx.filesUploadSessionStartBatch({
    num_sessions: 1,
    session_type: { '.tag': 'concurrent' },
  });
  const sessionId = started.result.session_ids[0]!;
  for (let offset = 4 * MiB; offset < bytes.length; offset += 4 * MiB) {
    const end = Math.min(offset + 4 * MiB, bytes.length);
    await dbx.filesUploadSessionAppendV2({
      cursor: { session_id: sessionId, offset },
      close: end === bytes.length,
      contents: bytes.subarray(offset, end),
    });
  }
  await fs.writeFile(
    path.join(dirs.configDir, 'journal.json'),
    JSON.stringify({
      version: 1,
      entries: {},
      sessions: {
        [REL]: {
          sessionId: `concurrent:${sessionId}`,
          offset: 0,
          blockDigests: [],
          size: st.size,
          mtimeMs: st.mtimeMs,
          startedAtMs: Date.now() - 60_000,
        },
      },
    }),
  );

  const r = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });

  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /done 1; 0 still queued in transit/);
  const remote = emulator.getFile(`/RDL/Site7_Farm/${REL}`);
  assert.ok(remote, `${REL} on Dropbox`);
  assert.equal(remote.contentHash, dropboxContentHash(bytes));
  assert.deepEqual(await fs.readFile(path.join(dirs.archiveDir, ...REL.split('/'))), bytes);
});
