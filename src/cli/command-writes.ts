// What a command may write into the settings folder. A dry run shows what it would do and writes
// nothing at all, not even a log line. A command that only reads writes its log lines only into a
// settings folder that is there already: on a fresh machine, `rdl-sync status` (or `settings`,
// `doctor`, `history`, `fleet`, `report`) made ~/.config/rdl-sync/logs/, and `retention
// --dry-run` a log file in it, before anything was set up.

export type CommandWrites =
  /** Nothing: a dry run. */
  | 'nothing'
  /** Log lines, only into a settings folder that exists. */
  | 'log-if-there'
  /** Whatever it does (it may make the settings folder). */
  | 'all';

export function commandWrites(
  command: string,
  positionals: readonly string[],
  values: Record<string, unknown>,
): CommandWrites {
  if (values['dry-run'] === true && (command === 'import-legacy' || command === 'retention'))
    return 'nothing';
  switch (command) {
    case 'status':
    case 'history':
    case 'doctor':
    case 'fleet':
      return 'log-if-there';
    case 'report':
      // Shown, not sent: it reads the status and the history. Sent, it records the sending.
      return values.send === true ? 'all' : 'log-if-there';
    case 'alert':
      // A test on a machine not set up has no channel to send through (alert-commands.ts).
      return positionals[0] === 'test' ? 'log-if-there' : 'all';
    case 'settings': {
      const action = positionals[0] ?? 'show';
      return action === 'show' || action === 'check' || action === 'path' ? 'log-if-there' : 'all';
    }
    default:
      return 'all';
  }
}
