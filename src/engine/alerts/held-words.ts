// How a "Resolved" the repeat guard holds (StatusSnapshot.resolvedHeld) is said: the same words in
// `rdl-sync status` and in the window's status view (through src/shared/format.ts), each with its
// own way of writing a time. Nothing else imported: the renderer's bundle takes this file.
import type { HeldResolved } from '../status/types.js';

export function heldResolvedSentence(h: HeldResolved, time: (ms: number) => string): string {
  return `Alert "Resolved: ${h.title}" (gone since ${time(h.wentMs)}) is held by the repeat guard: sent at ${time(h.dueMs)} if it stays away (alertFlapMinutes)`;
}
