// Settings the window shows but never changes: the program main runs for an alert
// (alertCommand) and the server main sends the Dropbox tokens to (dropboxEndpoint). The renderer
// is sandboxed and shows only the app's own pages; were its code ever taken over, a save of these
// from it turned that into a program run by main (an alert test ran /bin/sh) or the refresh
// token sent to a server of its choosing (security review). They are set where a person at the
// machine types them: `rdl-sync settings set` or the settings file.
import { isDeepStrictEqual } from 'node:util';
import type { Settings } from '../engine/index.js';
import type { FieldIssue } from '../shared/ipc.js';

/** How each is set, said in the window beside it and when a save tries to change it. */
export const WINDOW_FIXED: Readonly<Partial<Record<keyof Settings, string>>> = {
  alertCommand:
    'Set with the command line, not here (a program RDL Sync runs): rdl-sync settings set alertCommand /path/to/program',
  dropboxEndpoint:
    'Set with the command line, not here (where the Dropbox connection is sent): rdl-sync settings set dropboxEndpoint URL',
};

/**
 * The window-fixed settings `candidate` changes: from what the form was filled with, when only
 * the fields changed from it are saved (a value equal to it is not written, whatever the page
 * claims it loaded), else from the settings in force.
 */
export function windowFixedIssues(
  candidate: unknown,
  loadedWith: Record<string, unknown> | undefined,
  now: Settings,
): FieldIssue[] {
  if (typeof candidate !== 'object' || candidate === null) return [];
  const c = candidate as Record<string, unknown>;
  const from = (loadedWith ?? now) as Record<string, unknown>;
  return Object.entries(WINDOW_FIXED).flatMap(([field, message]) =>
    Object.hasOwn(c, field) && !isDeepStrictEqual(c[field], from[field])
      ? [{ field, message }]
      : [],
  );
}
