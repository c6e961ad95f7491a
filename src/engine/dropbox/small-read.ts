// Reading a small file whole, with local read errors classified per file.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { classifyLocalFileError } from './classify.js';
import { SYNC_READ_MAX } from '../fsutil/quick-fs.js';

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
