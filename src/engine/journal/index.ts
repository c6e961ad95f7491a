export { Journal, FLUSH_DELAY_MS } from './journal.js';
export type { JournalEntry } from './journal.js';
export { replaceFileAtomically } from './atomic-file.js';
