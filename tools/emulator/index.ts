// Public entry of the Dropbox API emulator (tests, demo, benchmark).
export { startEmulator } from './emulator.js';
export type { Emulator, EmulatorOptions, StoredFileInfo } from './emulator.js';
export type { FaultRule, FaultKind } from './faults.js';
export { dropboxContentHash } from './hash.js';
