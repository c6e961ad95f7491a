export { DropboxHasher, DROPBOX_BLOCK_SIZE, dropboxContentHash } from './dropbox-hash.js';
export { fsyncDir, fsyncFile, errnoCode, isCode } from './fsync.js';
export { FolderSyncs } from './folder-syncs.js';
export { atomicWriteFile } from './atomic-write.js';
export type { AtomicWriteOptions } from './atomic-write.js';
export { FOLDER_MODE } from './folder-mode.js';
export { makeFolders } from './make-folders.js';
export {
  copyFileHashed,
  hashFileDropbox,
  hashFilePrefix,
  CopyError,
  SOURCE_SWAPPED,
} from './copy-hashed.js';
export type { CopyResult, CopySide, ExpectedSource } from './copy-hashed.js';
export { pruneEmptyDirs, isStrictlyInside } from './prune.js';
export { isMountPoint, isReadOnlyMount, parseMountInfo } from './mount.js';
export { freeSpace, knownFreeSpace } from './free-space.js';
export type { FreeSpace } from './free-space.js';
export { relSegments, resolveRel } from './rel-path.js';
export { placeWithoutReplacing } from './place.js';
export type { PlaceResult, PlaceOps } from './place.js';
export { walkTree } from './walk.js';
export type { WalkEntry, WalkOptions } from './walk.js';
