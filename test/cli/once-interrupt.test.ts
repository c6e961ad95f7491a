// Ctrl-C on `rdl-sync once` ended it with the shell's "Interrupt" and nothing else: a technician
// could not tell whether the file in hand was lost, half on Dropbox, or had to be copied by hand.
// Now it says what became of the files and exits as an interrupted command does (128 + signal);
// the next run finishes the upload. Real parts: the CLI process, SIGINT, the emulator's link
// slowed so the upload is in hand when the signal comes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import { startEmulator, dropboxContentHash } from '../../tools/emulator/index.js';
import { makeDirs, testSettings, writeConfig } from '../engine/harness.js';
import { exited, runCli, spawnCli, waitFor, writeFileIn } from './cli-harness.js';

const MiB = 1024 * 1024;
const REL = 'cameras/infrared1/2026-12-04/stack.bin';

test('Ctrl-C on once says nothing is lost and how the files go on; the next run finishes the upload', async () => {
  const emulator = await startEmulator({});
  const dirs = await makeDirs('rdl-cli-once-interrupt-');
  try {
    await writeConfig(
      dirs.configDir,
      testSettings(dirs, emulator, { site: 'Site7_Farm', chunkSizeMiB: 4 }),
      emulator,
    );
    const bytes = randomBytes(12 * MiB);
    await writeFileIn(dirs.watchDir, REL, bytes);
    emulator.shapeLink({ bytesPerSecond: 2 * MiB });
    const before = emulator.stats()['received-bytes'] ?? 0;
    const once = spawnCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
    let stderr = '';
    once.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    once.stdout!.resume();
    await waitFor('the upload to be in hand', async () => {
      if (once.exitCode !== null) throw new Error(`once ended first: ${stderr}`);
      return (emulator.stats()['received-bytes'] ?? 0) - before > 2 * MiB;
    });
    once.kill('SIGINT');
    const end = await exited(once);

    assert.deepEqual(end, { code: 130, signal: null }, stderr);
    assert.match(
      stderr,
      /^rdl-sync once: interrupted \(SIGINT\)\. Nothing is lost: .* the next run takes them up/m,
    );
    assert.equal(emulator.getFile(`/RDL/Site7_Farm/${REL}`), undefined, 'not on Dropbox yet');

    emulator.shapeLink({});
    const next = await runCli(['once', '--config-dir', dirs.configDir], { home: dirs.root });
    assert.equal(next.code, 0, next.stdout + next.stderr);
    const remote = emulator.getFile(`/RDL/Site7_Farm/${REL}`);
    assert.ok(remote, `${REL} on Dropbox`);
    assert.equal(remote.contentHash, dropboxContentHash(bytes));
  } finally {
    await emulator.close();
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});
