export { Journal, FLUSH_DELAY_MS } from './journal.js';
export type { JournalEntry } from './journal.js';
