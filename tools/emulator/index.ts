// Public entry of the Dropbox API emulator (tests, demo, benchmark).
export { startEmulator, DEFAULT_HEADER_LIMIT_BYTES } from './emulator.js';
export type { EmulatorOptions } from './emulator.js';
export type { Emulator, StoredFileInfo } from './controls.js';
export type { FaultRule, FaultKind } from './faults.js';
export { dropboxContentHash } from './hash.js';
