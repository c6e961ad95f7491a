// Each command's options, kept apart from the commands themselves so that `--help` and usage
// mistakes are answered without loading the engine (and the Dropbox SDK) at all.
import type { ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export const COMMAND_OPTIONS: Record<string, Options> = {
  run: {},
  once: {},
  sync: { wait: { type: 'string' } },
  status: { json: { type: 'boolean' } },
  auth: { code: { type: 'string' }, 'app-key': { type: 'string' } },
  'import-legacy': {
    config: { type: 'string' },
    root: { type: 'string' },
    'uploader-config': { type: 'string' },
    'remote-root': { type: 'string' },
    replace: { type: 'boolean' },
    'dry-run': { type: 'boolean' },
  },
  history: {
    failures: { type: 'boolean' },
    search: { type: 'string' },
    limit: { type: 'string' },
    json: { type: 'boolean' },
  },
  pause: { for: { type: 'string' } },
  retention: { 'dry-run': { type: 'boolean' }, json: { type: 'boolean' } },
  resume: {},
  settings: {},
  doctor: {},
  fleet: { json: { type: 'boolean' }, folder: { type: 'string' } },
  alert: { remove: { type: 'boolean' } },
  report: { send: { type: 'boolean' }, json: { type: 'boolean' } },
};

/** The commands that take words of their own (`settings set KEY VALUE`, `alert test`). */
const TAKES_ARGUMENTS = new Set(['settings', 'alert']);

/** The option a bare duration was meant for: `rdl-sync pause 30m` is `pause --for 30m`. */
const DURATION_OPTION: Record<string, string> = { pause: '--for', sync: '--wait' };

/**
 * Why the words after a command that takes none are refused, or null. They were ignored:
 * `rdl-sync pause 30m` paused until someone resumed it, on a hub nobody may visit for weeks.
 */
export function strayArguments(command: string, positionals: readonly string[]): string | null {
  if (TAKES_ARGUMENTS.has(command) || positionals.length === 0) return null;
  const words = positionals.map((p) => `"${p}"`).join(' ');
  const option = DURATION_OPTION[command];
  const first = positionals[0]!;
  const meant =
    option && positionals.length === 1 && /^\s*\d/.test(first)
      ? ` To give it a duration: rdl-sync ${command} ${option} ${first}`
      : '';
  return `rdl-sync ${command} takes no arguments, only options: ${words} is not one of them.${meant}`;
}
