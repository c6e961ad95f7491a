// Each command's options, kept apart from the commands themselves so that `--help` and usage
// mistakes are answered without loading the engine (and the Dropbox SDK) at all.
import type { ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export const COMMAND_OPTIONS: Record<string, Options> = {
  run: {},
  once: {},
  sync: { wait: { type: 'string' } },
  status: { json: { type: 'boolean' } },
  auth: { code: { type: 'string' } },
  'import-legacy': {
    config: { type: 'string' },
    root: { type: 'string' },
    'uploader-config': { type: 'string' },
    'remote-root': { type: 'string' },
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
  fleet: { json: { type: 'boolean' } },
  alert: {},
  report: { send: { type: 'boolean' }, json: { type: 'boolean' } },
};
