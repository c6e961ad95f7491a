import os from 'node:os';
import path from 'node:path';
import { STATIC_DEFAULTS, type Settings } from './schema.js';

/** Defaults for a fresh install: the old script's layout under ~/rdl. */
export function defaultSettings(home: string = os.homedir()): Settings {
  return {
    ...STATIC_DEFAULTS,
    ignorePatterns: [...STATIC_DEFAULTS.ignorePatterns],
    silentSourceOverrides: [...STATIC_DEFAULTS.silentSourceOverrides],
    watchDir: path.join(home, 'rdl', 'tosync'),
    transitDir: path.join(home, 'rdl', 'transit'),
  };
}
