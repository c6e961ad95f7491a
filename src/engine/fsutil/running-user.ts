// Who RDL Sync runs as, for advice about permissions: "give pi write access" is a command a
// person can act on; "the user running RDL Sync" sent them to find out which one that is.
import { userInfo } from 'node:os';

/** The user this process runs as; its uid when it has no name (a container without passwd). */
export function runningUser(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}
