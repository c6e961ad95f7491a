// The demo's proof: every file written by the "logger" is on the Dropbox emulator and in the
// SD-card folder, and both copies have the content hash of the original.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Emulator } from '../emulator/index.js';
import { hashFileDropbox } from '../../src/engine/fsutil/index.js';
import type { SampleFile } from './sample-files.js';

export interface FileCheck {
  file: SampleFile;
  dropbox: 'ok' | 'missing' | 'different';
  sdCard: 'ok' | 'missing' | 'different';
}

async function hashOrNull(p: string): Promise<string | null> {
  try {
    return await hashFileDropbox(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export async function checkFiles(
  files: SampleFile[],
  emulator: Emulator,
  remoteRoot: string,
  sdCardDir: string,
): Promise<FileCheck[]> {
  return Promise.all(
    files.map(async (file) => {
      const remote = emulator.getFile(`${remoteRoot}/${file.rel}`);
      const local = await hashOrNull(path.join(sdCardDir, ...file.rel.split('/')));
      return {
        file,
        dropbox: !remote ? 'missing' : remote.contentHash === file.hash ? 'ok' : 'different',
        sdCard: local === null ? 'missing' : local === file.hash ? 'ok' : 'different',
      } satisfies FileCheck;
    }),
  );
}

/** True once every file is on both sides with the right hash (cheap enough to poll). */
export async function allArrived(
  files: SampleFile[],
  emulator: Emulator,
  remoteRoot: string,
  sdCardDir: string,
): Promise<boolean> {
  for (const f of files) {
    if (emulator.getFile(`${remoteRoot}/${f.rel}`)?.contentHash !== f.hash) return false;
    const st = await fs.stat(path.join(sdCardDir, ...f.rel.split('/'))).catch(() => null);
    if (!st || st.size !== f.size) return false;
  }
  return true;
}

function mark(v: FileCheck['dropbox']): string {
  return v === 'ok' ? '✓' : v === 'missing' ? '✗ missing' : '✗ different';
}

/** The summary table, one row per file, and a totals line. */
export function summaryTable(checks: FileCheck[]): string[] {
  const nameWidth = Math.max(4, ...checks.map((c) => c.file.rel.length));
  const rows = [
    `${'File'.padEnd(nameWidth)}  ${'Size'.padStart(10)}  ${'Dropbox'.padEnd(11)}  ${'SD card'.padEnd(11)}  Content hash`,
    `${'─'.repeat(nameWidth)}  ${'─'.repeat(10)}  ${'─'.repeat(11)}  ${'─'.repeat(11)}  ${'─'.repeat(16)}`,
  ];
  for (const c of [...checks].sort((a, b) => a.file.rel.localeCompare(b.file.rel))) {
    rows.push(
      `${c.file.rel.padEnd(nameWidth)}  ${String(c.file.size).padStart(10)}  ${mark(c.dropbox).padEnd(11)}  ${mark(c.sdCard).padEnd(11)}  ${c.file.hash.slice(0, 16)}…`,
    );
  }
  const bytes = checks.reduce((n, c) => n + c.file.size, 0);
  const dropboxOk = checks.filter((c) => c.dropbox === 'ok').length;
  const sdOk = checks.filter((c) => c.sdCard === 'ok').length;
  rows.push(
    '',
    `Total: ${checks.length} files, ${(bytes / 1_000_000).toFixed(1)} MB — on Dropbox with matching hash: ${dropboxOk}/${checks.length}, on the SD card with matching hash: ${sdOk}/${checks.length}`,
  );
  return rows;
}
