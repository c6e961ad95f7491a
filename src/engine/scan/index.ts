export { StabilityScanner } from './stability-scanner.js';
export type {
  ScannedFile,
  ScanError,
  ScanResult,
  StabilityScannerOptions,
} from './stability-scanner.js';
export { snapshotOpenWriters, canDetectWriters } from './open-writers.js';
export { freshWriters, type FreshWriters } from './fresh-writers.js';
export type { WriterProbe, WriterSnapshot } from './open-writers.js';
export { isIgnored, compileIgnore, isDropboxIgnoredName, DROPBOX_IGNORED_NAMES } from './ignore.js';
export type { IgnoreMatcher, IgnoreOptions } from './ignore.js';
