// Whether a folder the person asked to open, or to start a folder dialog in, is there: asked on
// the thread pool with a deadline. The main process is the tray's and the window's: a synchronous
// look at a card that stopped answering (a FUSE driver stopped, a reader's firmware hung) held
// both until the card came back, and only killing the app ended it.
import fs from 'node:fs/promises';
import { isAtOrBelow, lookOnArchive } from '../engine/index.js';

/** 'no-answer': the look did not return in time, or the disk said it cannot be reached. */
export type PathLook = 'there' | 'missing' | 'no-answer';

/** Long enough for a USB disk spinning up, short enough to wait for after a click. */
export const PATH_LOOK_MS = 5_000;

/** Errors of a disk that is there but cannot be reached (a dead mount, a share gone). */
const UNREACHABLE = new Set(['ENOTCONN', 'EIO', 'ESTALE', 'EHOSTDOWN', 'ETIMEDOUT']);
const MISSING = new Set(['ENOENT', 'ENOTDIR', 'ELOOP']);

export function lookAtPath(
  p: string,
  opts: {
    /**
     * The archive's folder: a look at it or below it goes through the archive's own limits
     * (card-answers.ts lookOnArchive). Made as a plain call, a look past its deadline kept its
     * thread until the card answered, and a few clicks took the threads the upload needs.
     */
    archiveRoot?: string;
    deadlineMs?: number;
  } = {},
): Promise<PathLook> {
  const access = (): Promise<PathLook> =>
    fs.access(p).then(
      () => 'there',
      (e: NodeJS.ErrnoException) =>
        MISSING.has(e.code ?? '')
          ? 'missing'
          : UNREACHABLE.has(e.code ?? '')
            ? 'no-answer'
            : 'there',
    );
  const look =
    opts.archiveRoot && isAtOrBelow(p, opts.archiveRoot)
      ? lookOnArchive(opts.archiveRoot, access)
      : access();
  // Refused without a call: the archive hangs, or its threads are all out on it.
  if (look === null) return Promise.resolve('no-answer');
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('no-answer'), opts.deadlineMs ?? PATH_LOOK_MS);
    void look.then((found) => {
      clearTimeout(timer);
      resolve(found);
    });
  });
}
