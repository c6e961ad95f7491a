// The one way the engine replaces a state file (journal, history, credentials, status.json, the
// alert state and log): a reader, and a power cut at any instant, sees the old content or the new,
// never a mix. Write a temporary beside the file, fsync it, rename it over the file, fsync the
// folder.
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fsyncDir } from './fsync.js';

export interface AtomicWriteOptions {
  /** Mode of the new file (default 0600: every state file of ours is private). */
  mode?: number;
  /**
   * false skips both fsyncs: the swap stays atomic but may be lost in a power cut. Only for a
   * file rewritten every second anyway whose loss costs nothing (status.json); syncing that
   * often would only wear an SD card.
   */
  durable?: boolean;
  /**
   * Another process may write this file too (the alert state: the daemon and `rdl-sync alert
   * digest --send`): the temporary is then `<file>.tmp-<pid>`, so two writers never share it.
   */
  otherWriters?: boolean;
}

/** Writes of one file in this process, queued so that two never share its temporary. */
const queues = new Map<string, Promise<void>>();

/**
 * Replaces `file` with `data`. The temporary has a fixed name, `<file>.tmp`, so a torn one left
 * by a crash is replaced by the next write and never accumulates; in exchange one process writes
 * a given file (journal, history and status under the run lock; credentials where a person
 * connects), and writes of it in this process are queued here.
 */
export function atomicWriteFile(
  file: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const write = (queues.get(file) ?? Promise.resolve()).then(() => replace(file, data, options));
  const tail = write.catch(() => {});
  queues.set(file, tail);
  void tail.then(() => {
    if (queues.get(file) === tail) queues.delete(file);
  });
  return write;
}

async function replace(
  file: string,
  data: string | Uint8Array,
  { mode = 0o600, durable = true, otherWriters = false }: AtomicWriteOptions,
): Promise<void> {
  const tmp = otherWriters ? `${file}.tmp-${process.pid}` : `${file}.tmp`;
  // Removed, then created exclusively: a leftover keeps no looser mode, and a link is never followed.
  await rm(tmp, { force: true });
  const handle = await open(tmp, 'wx', mode);
  try {
    try {
      await handle.writeFile(data);
      if (durable) await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => {});
    throw e;
  }
  if (durable) await fsyncDir(dirname(file));
}
