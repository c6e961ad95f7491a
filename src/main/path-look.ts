// Whether a folder the person asked to open or to start a dialog in is there, asked on the thread
// pool with a deadline. The main process is the tray's and the window's: a synchronous look at a
// card that stopped answering (a FUSE driver stopped, a reader's firmware hung) held both until
// the card came back, and only killing the app ended it.
import fs from 'node:fs/promises';

/** 'no-answer': the look did not return in time, or the disk said it cannot be reached. */
export type PathLook = 'there' | 'missing' | 'no-answer';

/** Long enough for a slow USB disk waking up, short enough to be a click's wait. */
export const PATH_LOOK_MS = 2_000;

export function lookAtPath(p: string, deadlineMs = PATH_LOOK_MS): Promise<PathLook> {
  return new Promise((resolve) => {
    // A look past its deadline keeps its pool thread until the card answers: one thread, not
    // the process (the engine's own calls on the card are bounded the same way).
    const timer = setTimeout(() => resolve('no-answer'), deadlineMs);
    fs.access(p).then(
      () => {
        clearTimeout(timer);
        resolve('there');
      },
      (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve(
          e.code === 'ENOENT' || e.code === 'ENOTDIR'
            ? 'missing'
            : e.code === 'ENOTCONN' || e.code === 'EIO'
              ? 'no-answer'
              : 'there',
        );
      },
    );
  });
}
