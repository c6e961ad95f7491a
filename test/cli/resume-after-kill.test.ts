// A large file's upload cut by a power cut (SIGKILL of the built CLI) while two chunks were on
// the wire, one of which had just landed on Dropbox unanswered: the next run resumes the same
// upload session and re-sends only the chunks that were in flight, cut exactly as before.
//
// Before: the journal held only the stored prefix, saved a moment after each answer. The resume
// cut new chunks from that prefix at the link's pace of the moment (a first chunk of 4 MiB where
// an 8 MiB one had landed), over bytes Dropbox already held. Dropbox refuses such an append (a
// 400 "Different data already uploaded at offset N", which the emulator now gives too), and
// where the cuts differed the session could never be committed: the file was uploaded afresh.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { startEmulator, dropboxContentHash, type Emulator } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { exited, spawnBuiltCli } from './cli-harness.js';

const MiB = 1024 * 1024;
const CHUNK_MIB = 16;
const REL = 'cameras/infrared1/2026-12-04/clip.bin';
const APPEND = 'files/upload_session/append_v2';
const RUN_DEADLINE_MS = 60_000;

let emulator: Emulator;
let dirs: Awaited<ReturnType<typeof makeDirs>>;
const live = new Set<ChildProcess>();

before(async () => {
  emulator = await startEmulator({});
  dirs = await makeDirs('rdl-cli-resume-kill-');
  await writeConfig(
    dirs.configDir,
    testSettings(dirs, emulator, { site: 'Site7_Farm', chunkSizeMiB: CHUNK_MIB }),
    emulator,
  );
});

after(async () => {
  for (const child of live)
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await emulator.close();
  await fs.rm(dirs.root, { recursive: true, force: true });
});

function once(): Promise<ChildProcess> {
  return spawnBuiltCli(['once', '--config-dir', dirs.configDir], { home: dirs.root }).then(
    (child) => {
      live.add(child);
      return child;
    },
  );
}

function output(child: ChildProcess): () => string {
  let text = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (text += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (text += d));
  return () => text;
}

/** Bytes the emulator stored from appends, and append bytes sent (each request's length). */
function appended(): { stored: number; sent: number } {
  return {
    stored: emulator.stats()['append-stored-bytes'] ?? 0,
    sent: emulator.linkBytes()[APPEND]?.sent ?? 0,
  };
}

test(
  'a power cut mid-upload costs the next run only the chunks that were in flight',
  { timeout: 180_000 },
  async () => {
    // 30 MiB and a bit: the first chunk (4 MiB) goes alone, then an 8 MiB and a 16 MiB chunk
    // share the link, then the closing one.
    const bytes = randomBytes(30 * MiB + 4321);
    const file = path.join(dirs.transitDir, ...REL.split('/'));
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, bytes);
    emulator.shapeLink({ latencyMs: 50, bytesPerSecond: 4 * MiB });
    emulator.resetStats();

    // Killed the moment a chunk beyond the first has landed: its answer is on its way back (or
    // in memory, not yet in the journal) and the next chunk is still on the wire.
    const first = await once();
    const firstOut = output(first);
    const deadline = performance.now() + RUN_DEADLINE_MS;
    while (appended().stored <= 4 * MiB) {
      assert.ok(first.exitCode === null, `the first run ended before it was cut: ${firstOut()}`);
      assert.ok(performance.now() < deadline, `no second chunk landed in time: ${firstOut()}`);
      await new Promise((r) => setTimeout(r, 2));
    }
    first.kill('SIGKILL');
    assert.equal((await exited(first)).signal, 'SIGKILL');
    live.delete(first);
    const cut = appended();
    assert.ok(cut.stored < bytes.length, 'the file was not whole on Dropbox at the cut');
    emulator.resetStats();

    const second = await once();
    const secondOut = output(second);
    const end = await exited(second);
    live.delete(second);
    const after = appended();

    assert.equal(end.code, 0, secondOut());
    const remote = emulator.getFile(`/RDL/Site7_Farm/${REL}`);
    assert.ok(remote, `${REL} on Dropbox: ${secondOut()}`);
    assert.equal(remote.contentHash, dropboxContentHash(bytes));
    assert.deepEqual(await fs.readFile(path.join(dirs.archiveDir, ...REL.split('/'))), bytes);
    // The same session went on: no new one was opened.
    assert.equal(emulator.stats()['files/upload_session/start'] ?? 0, 0, secondOut());
    // Sent twice: what both runs sent beyond the file's size. At most the two chunks in flight.
    const resent = cut.sent + after.sent - bytes.length;
    console.log(
      `resume after SIGKILL: stored at the cut ${cut.stored} B, run 1 sent ${cut.sent} B, run 2 sent ${after.sent} B, re-sent ${resent} B of ${bytes.length}`,
    );
    assert.ok(resent <= 2 * CHUNK_MIB * MiB, `re-sent ${resent} B`);
    assert.ok(
      after.sent < bytes.length - cut.stored + 2 * CHUNK_MIB * MiB,
      `run 2 sent ${after.sent} B`,
    );
  },
);
