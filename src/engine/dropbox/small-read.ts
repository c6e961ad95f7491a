// Reading a small file whole, with local read errors classified per file.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { classifyLocalFileError } from './classify.js';
import { SYNC_READ_MAX } from '../fsutil/quick-fs.js';

export async function readSmall(
  job: { rel: string; localPath: string },
  sizeHint: number,
): Promise<Buffer> {
  try {
    return sizeHint <= SYNC_READ_MAX
      ? readListedSize(job.localPath, sizeHint)
      : await readFile(job.localPath);
  } catch (e) {
    throw classifyLocalFileError(e, { rel: job.rel });
  }
}

/**
 * The file read in one read of the size it was listed with, and one byte more to notice a file
 * that grew since (then it is read whole as it is now). readFileSync would ask the file's size
 * first (an fstat per file: about 2 us of the 14 us a small file's read costs here).
 */
function readListedSize(path: string, size: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.allocUnsafe(size + 1);
    const got = readSync(fd, bytes, 0, bytes.length, 0);
    // Read at offset 0 without moving the file's position: readFileSync starts at 0 too.
    return got <= size ? bytes.subarray(0, got) : readFileSync(fd);
  } finally {
    closeSync(fd);
  }
}
