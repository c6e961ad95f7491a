// Wire shapes of Metadata. `.tag` only where the declared type is the polymorphic base type.
import { nameOf } from './paths.js';
import type { Entry, FileEntry, FolderEntry } from './store.js';

export function fileMetadata(e: FileEntry, tagged = false): Record<string, unknown> {
  return {
    ...(tagged ? { '.tag': 'file' } : {}),
    name: nameOf(e.pathDisplay),
    path_lower: e.pathDisplay.toLowerCase(),
    path_display: e.pathDisplay,
    id: e.id,
    client_modified: e.clientModified,
    server_modified: e.serverModified,
    rev: e.rev,
    size: e.size,
    is_downloadable: true,
    content_hash: e.contentHash,
  };
}

export function folderMetadata(e: FolderEntry, tagged = false): Record<string, unknown> {
  return {
    ...(tagged ? { '.tag': 'folder' } : {}),
    name: nameOf(e.pathDisplay),
    path_lower: e.pathDisplay.toLowerCase(),
    path_display: e.pathDisplay,
    id: e.id,
  };
}

export function metadata(e: Entry): Record<string, unknown> {
  return e.kind === 'file' ? fileMetadata(e, true) : folderMetadata(e, true);
}

export function deletedMetadata(pathDisplay: string): Record<string, unknown> {
  return {
    '.tag': 'deleted',
    name: nameOf(pathDisplay),
    path_lower: pathDisplay.toLowerCase(),
    path_display: pathDisplay,
  };
}
