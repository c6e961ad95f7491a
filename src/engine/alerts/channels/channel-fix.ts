// What a person is told to do about a channel whose alerts do not get through, from its last
// failure. Most failures are the settings' or the server's; one is neither: an alert command whose
// start the system holds because a disk with a file of RDL Sync's open on it (a FUSE card) does
// not answer (command-thread.ts). "Check the alert settings" sent a person to settings that were
// right (hands-on trial); it goes by itself once that disk answers.

/** The words every held-start failure of the command channel has (command.ts). */
export const START_HELD_WORDS = 'held by the system';

export function channelFix(reason: string): string {
  if (reason.includes(START_HELD_WORDS))
    return 'it is tried again once that disk answers (see the archive’s problem); the settings need no change';
  return 'check the alert settings, then rdl-sync alert test';
}
