import { mkdtemp, rm, mkdir, writeFile, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Clock } from '../../src/engine/ports.js';

export async function tempDir(prefix = 'rdl-scan-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** A clock the test moves by hand; sleep is not used by the scanner. */
export class ManualClock implements Clock {
  constructor(private ms: number) {}
  now(): number {
    return this.ms;
  }
  advance(ms: number): void {
    this.ms += ms;
  }
  async sleep(ms: number): Promise<void> {
    this.ms += ms;
  }
}

/** Create a file (and its folders) with given content and, optionally, an exact mtime. */
export async function put(
  root: string,
  rel: string,
  content: string | Buffer,
  mtimeMs?: number,
): Promise<string> {
  const p = join(root, ...rel.split('/'));
  await mkdir(dirname(p), { recursive: true });
  await writeFile(p, content);
  if (mtimeMs !== undefined) await utimes(p, mtimeMs / 1000, mtimeMs / 1000);
  return p;
}
