export { ArchiveTarget, DEFAULT_RESERVE_BYTES } from './archive-target.js';
export type {
  ArchiveCheck,
  ArchiveFsOps,
  ArchiveStoreOptions,
  ArchiveStoreResult,
  ArchiveTargetOptions,
} from './archive-target.js';
export { keepBothName } from '../legs/keep-both.js';
export { archiveFull, archiveMissing, archiveReadOnly, type RetentionNote } from './problems.js';
export { bytesNeededFor } from './room.js';
export { ARCHIVE_WORK_DIR, isReservedRel } from './work-dir.js';
export { archiveTitle, placeNamed, thePlace, type ArchivePlace } from './archive-place.js';
export { checkArchiveRoot, type RootMissing } from './root-check.js';
