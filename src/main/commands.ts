// The tray app's one command table. Tray items, the window's IPC calls that act (sync now,
// pause, resume, open a folder) and notification clicks all dispatch here, so "Pause 1 h" in the
// tray and the window's pause button are the same code, and a failure is handled in one place.
// No Electron here: what the desktop provides is injected (main.ts), fakes in tests.
//
// How to add a command (e.g. a new tray item):
//   1. One entry below: `myCommand: (c) => c.engine.something()` (an argument, if any, is the
//      second parameter, typed).
//   2. A tray item: one line in trayMenu() (tray-model.ts): { type: 'action', action: 'myCommand', ... }.
//      A window button: a channel in src/shared/ipc.ts whose handler (handlers.ts) calls
//      commands.run('myCommand'). A notification: its click names the command.
import type { EngineApi, Settings } from '../engine/index.js';
import type { TabId } from '../shared/ipc-channels.js';
import type { OpenPathKind } from '../shared/ipc.js';

export const PAUSE_HOUR_MS = 60 * 60 * 1000;

/** What the commands act on: the engine facade and what the desktop shell provides. */
export interface CommandContext {
  engine: Pick<EngineApi, 'syncNow' | 'pause' | 'resume' | 'getSettings'>;
  /** Opens a folder or file in the system's file manager / editor. */
  openPath(absolutePath: string): Promise<void>;
  /** Where the log and the settings file are (the app's, not the engine's, business). */
  files(): { logPath: string; configPath: string };
  openWindow(tab?: TabId): void;
  quit(): void;
}

const folderOf = (kind: 'watch' | 'transit' | 'archive', s: Settings): string =>
  kind === 'watch' ? s.watchDir : kind === 'transit' ? s.transitDir : s.archiveDir;

/** The file or folder an "open" command shows; a folder not set is said, with the fix. */
export function pathToOpen(c: CommandContext, kind: OpenPathKind): string {
  switch (kind) {
    case 'watch':
    case 'transit':
    case 'archive': {
      const p = folderOf(kind, c.engine.getSettings());
      if (p === '') throw new Error(`No ${kind} folder is set: choose one on the Settings tab.`);
      return p;
    }
    case 'log':
      return c.files().logPath;
    case 'config':
      return c.files().configPath;
  }
}

/** The table. Each command is one line; the argument, when there is one, is typed. */
export const COMMANDS = {
  syncNow: (c: CommandContext) => c.engine.syncNow(),
  pause: (c: CommandContext, forMs: number | null) => c.engine.pause(forMs),
  pauseHour: (c: CommandContext) => c.engine.pause(PAUSE_HOUR_MS),
  pauseUntilResumed: (c: CommandContext) => c.engine.pause(null),
  resume: (c: CommandContext) => c.engine.resume(),
  openWindow: (c: CommandContext, tab?: TabId) => c.openWindow(tab),
  openPath: (c: CommandContext, kind: OpenPathKind) => c.openPath(pathToOpen(c, kind)),
  openWatchFolder: (c: CommandContext) => c.openPath(pathToOpen(c, 'watch')),
  openArchiveFolder: (c: CommandContext) => c.openPath(pathToOpen(c, 'archive')),
  openLogFile: (c: CommandContext) => c.openPath(pathToOpen(c, 'log')),
  quit: (c: CommandContext) => c.quit(),
} as const;

export type CommandId = keyof typeof COMMANDS;
type ArgsOf<K extends CommandId> =
  Parameters<(typeof COMMANDS)[K]> extends [CommandContext, ...infer A] ? A : never;
/** Commands that need no argument: what a tray item or a notification click can name. */
export type PlainCommandId = {
  [K in CommandId]: ArgsOf<K> extends [] ? K : [] extends ArgsOf<K> ? K : never;
}[CommandId];

export interface Commands {
  /** Runs a command; its failure is the caller's (an IPC call returns it to the window). */
  run<K extends CommandId>(id: K, ...args: ArgsOf<K>): Promise<void>;
  /** Runs a command nobody waits for (tray, notification click); a failure goes to `onFailed`. */
  fire<K extends CommandId>(id: K, ...args: ArgsOf<K>): void;
}

export function createCommands(
  context: CommandContext,
  onFailed: (id: CommandId, error: Error) => void,
): Commands {
  const run = async <K extends CommandId>(id: K, ...args: ArgsOf<K>): Promise<void> => {
    // One cast, at the table: each entry's own signature is checked where it is written.
    const command = COMMANDS[id] as unknown as (c: CommandContext, ...a: ArgsOf<K>) => unknown;
    await command(context, ...args);
  };
  return {
    run,
    fire(id, ...args) {
      run(id, ...args).catch((e: unknown) =>
        onFailed(id, e instanceof Error ? e : new Error(String(e))),
      );
    },
  };
}
