// The fleet's two uses of Dropbox: a hub overwrites its own heartbeat (one upload call), and a
// viewer lists the fleet folder and downloads each heartbeat. Errors are classified at this edge
// (classifyDropboxError) so callers get a sentence, never a raw SDK error.
import { compareNames } from '../compare-names.js';
import type { files } from 'dropbox';
import { classifyDropboxError } from '../dropbox/classify.js';
import type { DropboxConnection } from '../dropbox/connection.js';
import { HEARTBEAT_MAX_BYTES } from './heartbeat.js';

/** A listing of thousands of sites is not a fleet folder; stop reading rather than loop. */
const MAX_LISTING_PAGES = 50;

/**
 * Writes this hub's heartbeat, replacing only its own last revision (`update` mode with the rev
 * it wrote last; `overwrite` on the first beat after a start). One upload call per beat. When
 * another hub wrote the file since, the update conflicts: that is a second hub with the same
 * site name (a cloned image). Then, and only then, the other writer's heartbeat is read (one
 * download) so the caller can name it, and `write` is called again to overwrite.
 */
export async function uploadHeartbeat(
  conn: DropboxConnection,
  path: string,
  body: (otherWriter: Buffer | null) => string,
  lastRev: string | null,
  signal?: AbortSignal,
): Promise<{ rev: string; otherWriter: Buffer | null }> {
  const put = async (mode: files.WriteMode, text: string): Promise<string> =>
    (
      await conn.call((c) =>
        c.filesUpload(
          {
            path,
            contents: Buffer.from(text, 'utf8'),
            mode,
            // A heartbeat every few minutes must not notify anyone who shares the folder.
            mute: true,
          },
          signal ? { signal } : {},
        ),
      )
    ).result.rev;
  try {
    if (lastRev === null)
      return { rev: await put({ '.tag': 'overwrite' }, body(null)), otherWriter: null };
    try {
      return {
        rev: await put({ '.tag': 'update', update: lastRev }, body(null)),
        otherWriter: null,
      };
    } catch (e) {
      if (!isConflict(e)) throw e;
    }
    const other = await conn
      .call((c) => c.filesDownload({ path }, signal ? { signal } : {}))
      .then((r) => binaryOf(r.result))
      .catch(() => Buffer.alloc(0));
    return { rev: await put({ '.tag': 'overwrite' }, body(other)), otherWriter: other };
  } catch (e) {
    throw classifyDropboxError(e);
  }
}

export interface HeartbeatFile {
  name: string;
  path: string;
  bytes: Buffer | null;
  /** Why it could not be read (too large, download failed). */
  problem: string | null;
}

/**
 * Every `.json` file directly in `folder`, downloaded. A missing folder is an empty fleet (no
 * hub has written yet), not an error; a file that fails to download is named, never fatal.
 */
export async function readHeartbeatFiles(
  conn: DropboxConnection,
  folder: string,
): Promise<{ files: HeartbeatFile[]; folderMissing: boolean }> {
  let entries: files.ListFolderResult['entries'];
  try {
    let page = (await conn.call((c) => c.filesListFolder({ path: folder, limit: 2000 }))).result;
    entries = [...page.entries];
    for (let n = 1; page.has_more && n < MAX_LISTING_PAGES; n++) {
      const cursor = page.cursor;
      page = (await conn.call((c) => c.filesListFolderContinue({ cursor }))).result;
      entries.push(...page.entries);
    }
  } catch (e) {
    if (isNotFound(e)) return { files: [], folderMissing: true };
    throw classifyDropboxError(e);
  }
  const wanted = entries
    .filter((e): e is files.FileMetadataReference => e['.tag'] === 'file')
    .filter((e) => e.name.toLowerCase().endsWith('.json'))
    .sort((a, b) => compareNames(a.name, b.name));
  const out: HeartbeatFile[] = [];
  for (const e of wanted) {
    const path = e.path_display ?? `${folder}/${e.name}`;
    if (e.size > HEARTBEAT_MAX_BYTES) {
      out.push({ name: e.name, path, bytes: null, problem: `${e.size} bytes: not a heartbeat` });
      continue;
    }
    try {
      const res = await conn.call((c) => c.filesDownload({ path: e.path_lower ?? path }));
      out.push({ name: e.name, path, bytes: binaryOf(res.result), problem: null });
    } catch (err) {
      out.push({
        name: e.name,
        path,
        bytes: null,
        problem: `could not be downloaded: ${classifyDropboxError(err).message}`,
      });
    }
  }
  return { files: out, folderMissing: false };
}

/** The SDK hands downloads to Node as `fileBinary` (a Buffer). */
function binaryOf(result: unknown): Buffer {
  const r = result as { fileBinary?: Buffer | ArrayBuffer | string };
  const b = r.fileBinary;
  if (b === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(b)) return b;
  if (typeof b === 'string') return Buffer.from(b, 'binary');
  return Buffer.from(b);
}

function summaryOf(e: unknown): string {
  const summary = (e as { error?: { error_summary?: unknown } })?.error?.error_summary;
  return typeof summary === 'string' ? summary : '';
}

function isConflict(e: unknown): boolean {
  return summaryOf(e).startsWith('path/conflict');
}

function isNotFound(e: unknown): boolean {
  return summaryOf(e).startsWith('path/not_found');
}
