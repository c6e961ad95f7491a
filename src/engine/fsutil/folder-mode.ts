// The mode of the folders RDL Sync makes for files (transit, the archive): readable by others as
// the old script's were, writable by this user only, whatever the umask. Under umask 000 they were
// made 0777, and any user of the hub could put files into the queue (uploaded as this site's) or
// swap a queued file for a symlink before its upload. A stricter umask still narrows it.
export const FOLDER_MODE = 0o755;
