export { StabilityScanner } from './stability-scanner.js';
export type { ScannedFile, ScanResult, StabilityScannerOptions } from './stability-scanner.js';
export { isIgnored, compileIgnore, isDropboxIgnoredName, DROPBOX_IGNORED_NAMES } from './ignore.js';
export type { IgnoreMatcher, IgnoreOptions } from './ignore.js';
