// What an empty fleet says, in the window and in `rdl-sync fleet` alike. A folder that is not there
// may be a typo (`--folder /Lab/_flet`, or the same in Settings): "no hub has written to this
// folder" alone read as every hub being down.
import type { FleetView } from './types.js';

/** The sentence for a fleet with no heartbeat to show, or null when there is something to show. */
export function emptyFleetSentence(
  view: Pick<FleetView, 'folder' | 'folderMissing' | 'sites' | 'unreadable'>,
): string | null {
  if (view.folderMissing) {
    return `No heartbeats yet: ${view.folder} does not exist on Dropbox. No hub has written there, or the path has a typo: hubs write beside their site folders (the remote folder /Professional/WIRED/{site} gives /Professional/WIRED/_fleet).`;
  }
  if (view.sites.length === 0 && view.unreadable.length === 0) {
    return 'No heartbeats yet: no hub has written to this folder.';
  }
  return null;
}
