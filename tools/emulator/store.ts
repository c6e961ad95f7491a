// The namespace: an in-memory index of files and folders keyed by lowercase path, with the
// bytes on disk (BlobDir). Implements Dropbox's write semantics: WriteMode, autorename,
// identical-content no-op, implicit parents, file ancestors, quota, and a change log for cursors.
import { randomBytes } from 'node:crypto';
import type { BlobDir, StoredBytes } from './blobs.js';
import { writeErrors, type WriteError } from './errors.js';
import { ancestorsOf, lowerPath, nameOf, parentOf } from './paths.js';

export interface FileEntry {
  kind: 'file';
  pathDisplay: string;
  id: string;
  rev: string;
  size: number;
  contentHash: string;
  clientModified: string;
  serverModified: string;
  parts: string[];
}

export interface FolderEntry {
  kind: 'folder';
  pathDisplay: string;
  id: string;
}

export type Entry = FileEntry | FolderEntry;

export interface CommitSpec {
  path: string;
  mode: 'add' | 'overwrite' | 'update';
  rev?: string;
  autorename: boolean;
  strictConflict: boolean;
  clientModified?: string;
  /** false: Dropbox tells the account's desktop clients about the new file. */
  mute?: boolean;
}

export type CommitResult =
  { ok: true; entry: FileEntry; written: boolean } | { ok: false; error: WriteError };

/** One change, for list_folder/continue: the path that changed, at a sequence number. */
interface Change {
  pathLower: string;
}

export function dropboxTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Random bytes for ids, drawn many at a time (one randomBytes call per file was ~15 us). */
let idBytes = Buffer.alloc(0);
let idAt = 0;
const ID_BYTES = 16;

function newId(): string {
  if (idAt + ID_BYTES > idBytes.length) {
    idBytes = randomBytes(ID_BYTES * 256);
    idAt = 0;
  }
  idAt += ID_BYTES;
  return 'id:' + idBytes.toString('base64url', idAt - ID_BYTES, idAt);
}

/** `name (n).ext` for n = 1, 2, ...; the extension is the part after the last dot (not a leading one). */
function numberedName(name: string, n: number, label?: string): string {
  const dot = name.lastIndexOf('.');
  const [base, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const suffix = label ? (n === 0 ? `(${label})` : `(${label} ${n})`) : `(${n})`;
  return `${base} ${suffix}${ext}`;
}

export class Namespace {
  private readonly entries = new Map<string, Entry>();
  private readonly deleted = new Map<string, string>();
  private readonly changes: Change[] = [];
  private readonly revPrefix = randomBytes(2).toString('hex');
  private revCounter = 0;
  private usedBytes = 0;

  constructor(
    private readonly blobs: BlobDir,
    private readonly now: () => number,
    public quotaBytes: number,
  ) {}

  get used(): number {
    return this.usedBytes;
  }

  get changeSeq(): number {
    return this.changes.length;
  }

  get(path: string): Entry | undefined {
    return this.entries.get(lowerPath(path));
  }

  getById(id: string): Entry | undefined {
    for (const e of this.entries.values()) if (e.id === id) return e;
    return undefined;
  }

  deletedDisplay(path: string): string | undefined {
    return this.deleted.get(lowerPath(path));
  }

  /** All entries strictly below `folder` ('' = root), sorted by path_lower. */
  list(folder: string, recursive: boolean): Entry[] {
    const prefix = folder === '' ? '/' : lowerPath(folder) + '/';
    const out: Entry[] = [];
    for (const [key, e] of this.entries) {
      if (!key.startsWith(prefix)) continue;
      if (!recursive && key.indexOf('/', prefix.length) !== -1) continue;
      out.push(e);
    }
    return out.sort((a, b) => (lowerPath(a.pathDisplay) < lowerPath(b.pathDisplay) ? -1 : 1));
  }

  /** Paths changed since `seq` below `folder`, each once, in order of their last change. */
  changedSince(seq: number, folder: string, recursive: boolean): string[] {
    const prefix = folder === '' ? '/' : lowerPath(folder) + '/';
    const seen = new Map<string, number>();
    this.changes.slice(seq).forEach((c, i) => {
      if (!c.pathLower.startsWith(prefix)) return;
      if (!recursive && c.pathLower.indexOf('/', prefix.length) !== -1) return;
      seen.delete(c.pathLower);
      seen.set(c.pathLower, i);
    });
    return [...seen.keys()];
  }

  files(): FileEntry[] {
    return [...this.entries.values()]
      .filter((e): e is FileEntry => e.kind === 'file')
      .sort((a, b) => (lowerPath(a.pathDisplay) < lowerPath(b.pathDisplay) ? -1 : 1));
  }

  /** Display form of a path: existing ancestors keep their stored casing. */
  private display(path: string): string {
    let out = '';
    for (const name of path.slice(1).split('/')) {
      const next = `${out}/${name}`;
      out = this.entries.get(lowerPath(next))?.pathDisplay ?? next;
    }
    return parentOf(out) + '/' + nameOf(path);
  }

  private fileAncestor(path: string): boolean {
    return ancestorsOf(path).some((a) => this.entries.get(lowerPath(a))?.kind === 'file');
  }

  private record(path: string): void {
    this.changes.push({ pathLower: lowerPath(path) });
  }

  private put(entry: Entry): void {
    const key = lowerPath(entry.pathDisplay);
    this.entries.set(key, entry);
    this.deleted.delete(key);
    this.record(entry.pathDisplay);
  }

  private ensureParents(path: string): void {
    for (const a of ancestorsOf(path)) {
      if (!this.entries.has(lowerPath(a)))
        this.put({ kind: 'folder', pathDisplay: a, id: newId() });
    }
  }

  private firstFreeName(path: string, label?: string): string {
    const parent = parentOf(path);
    for (let n = label ? 0 : 1; ; n++) {
      const candidate = `${parent}/${numberedName(nameOf(path), n, label)}`;
      if (!this.entries.has(lowerPath(candidate))) return candidate;
    }
  }

  private nextRev(): string {
    this.revCounter++;
    return this.revPrefix + this.revCounter.toString(16).padStart(9, '0');
  }

  /**
   * Commits bytes to a path. On `written: false` or failure the caller still owns `bytes`
   * (a session keeps them for a retry; a one-shot upload discards them).
   */
  commit(
    spec: CommitSpec,
    bytes: StoredBytes,
    opts: { forceInsufficientSpace?: boolean } = {},
  ): CommitResult {
    let path = this.display(spec.path);
    if (this.fileAncestor(path)) return { ok: false, error: writeErrors.conflict('file_ancestor') };
    const existing = this.entries.get(lowerPath(path));
    let replaces: FileEntry | undefined;
    if (existing?.kind === 'folder') {
      if (!spec.autorename) return { ok: false, error: writeErrors.conflict('folder') };
      path = this.firstFreeName(path);
    } else if (existing) {
      if (existing.contentHash === bytes.contentHash && !spec.strictConflict) {
        return { ok: true, entry: existing, written: false };
      }
      const allowed =
        spec.mode === 'overwrite' || (spec.mode === 'update' && spec.rev === existing.rev);
      if (allowed) {
        replaces = existing;
        path = existing.pathDisplay;
      } else if (spec.autorename) {
        path = this.firstFreeName(path, spec.mode === 'update' ? 'conflicted copy' : undefined);
      } else {
        return { ok: false, error: writeErrors.conflict('file') };
      }
    } else if (spec.mode === 'update' && spec.strictConflict) {
      return { ok: false, error: writeErrors.conflict('file') };
    }
    const growth = bytes.size - (replaces?.size ?? 0);
    if (opts.forceInsufficientSpace || this.usedBytes + growth > this.quotaBytes) {
      return { ok: false, error: writeErrors.insufficientSpace() };
    }
    this.ensureParents(path);
    const serverModified = dropboxTime(this.now());
    const entry: FileEntry = {
      kind: 'file',
      pathDisplay: path,
      id: replaces?.id ?? newId(),
      rev: this.nextRev(),
      size: bytes.size,
      contentHash: bytes.contentHash,
      clientModified: spec.clientModified ?? serverModified,
      serverModified,
      parts: bytes.parts,
    };
    if (replaces) {
      this.entries.delete(lowerPath(replaces.pathDisplay));
      this.blobs.remove(replaces.parts);
    }
    this.usedBytes += growth;
    this.put(entry);
    return { ok: true, entry, written: true };
  }

  createFolder(
    path: string,
    autorename: boolean,
  ): { ok: true; entry: FolderEntry } | { ok: false; error: WriteError } {
    let target = this.display(path);
    if (this.fileAncestor(target))
      return { ok: false, error: writeErrors.conflict('file_ancestor') };
    const existing = this.entries.get(lowerPath(target));
    if (existing) {
      if (!autorename) return { ok: false, error: writeErrors.conflict(existing.kind) };
      target = this.firstFreeName(target);
    }
    this.ensureParents(target);
    const entry: FolderEntry = { kind: 'folder', pathDisplay: target, id: newId() };
    this.put(entry);
    return { ok: true, entry };
  }

  /** Removes an entry and, for a folder, everything below it. Returns the removed entry. */
  delete(path: string): Entry | undefined {
    const key = lowerPath(path);
    const target = this.entries.get(key);
    if (!target) return undefined;
    const doomed = [...this.entries.keys()].filter((k) => k === key || k.startsWith(key + '/'));
    for (const k of doomed.sort().reverse()) {
      const e = this.entries.get(k)!;
      this.entries.delete(k);
      this.deleted.set(k, e.pathDisplay);
      if (e.kind === 'file') {
        this.usedBytes -= e.size;
        this.blobs.remove(e.parts);
      }
      this.record(e.pathDisplay);
    }
    return target;
  }
}
