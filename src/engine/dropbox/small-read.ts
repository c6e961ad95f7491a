// Reading a small file whole, with local read errors classified per file.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { classifyLocalFileError } from './classify.js';

/**
 * Below this size a file is read synchronously: the promise API's open/stat/read/close round
 * trips cost more CPU than the read itself, and a page-cache read this small blocks for
 * microseconds (a few ms from a slow SD card).
 */
const SYNC_READ_MAX = 64 * 1024;

export async function readSmall(
  job: { rel: string; localPath: string },
  sizeHint: number,
): Promise<Buffer> {
  try {
    return sizeHint <= SYNC_READ_MAX ? readFileSync(job.localPath) : await readFile(job.localPath);
  } catch (e) {
    throw classifyLocalFileError(e, { rel: job.rel });
  }
}
