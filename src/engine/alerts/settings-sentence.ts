// The words of the alert a waiting daemon sends when its settings file cannot be used (read by
// email far from the hub): which file, each mistake (setting and what is wrong), and the fix.
import type { FieldIssue } from '../api.js';
import { isSettingKey } from '../settings/labels.js';
import { closestKey } from '../settings/validate.js';
import { settingsFileUnusable } from '../settings/store.js';

/** The alert's condition: the status problem's id, so the next process resolves it (policy.ts). */
export const SETTINGS_INVALID_CONDITION = 'settings-invalid';

export function settingsInvalidSentence(file: string, issues: readonly FieldIssue[]): string {
  const mistakes = issues
    .map((i) => (i.field ? `${i.field}: ${i.message}` : i.message).replace(/[.\s]+$/, ''))
    .join('; ');
  const first = issues.map((i) => settingToSet(i.field)).find((k) => k !== undefined);
  const example = first ? ` (here: rdl-sync settings set ${first} VALUE)` : '';
  return (
    `RDL Sync does not sync: its settings file ${file} cannot be used, and files wait safely until it is fixed. ` +
    `What is wrong: ${mistakes}. ` +
    (issues.some((i) => settingsFileUnusable(i.message))
      ? `To fix it: edit the file (rdl-sync settings set cannot write over settings it cannot read). `
      : `To fix it: rdl-sync settings set KEY VALUE${example}, or edit the file. `) +
    'The service starts syncing by itself once the file is valid: no restart needed.'
  );
}

/**
 * The setting `rdl-sync settings set` takes for a mistake in `field`: a name that is no setting
 * ("alertCommnad") means the nearest one; the command refuses the mistyped name itself, which the
 * alert gave as the fix. None for a name near no setting (to remove from the file).
 */
function settingToSet(field: string): string | undefined {
  const top = field.split('.')[0]!;
  if (top === '') return undefined;
  return isSettingKey(top) ? top : closestKey(top);
}

/**
 * The mistakes a settings-invalid alert or status problem names, whoever worded it: the waiting
 * service's alert ("… What is wrong: A; B. To fix it: …") and the status problem of a process that
 * reads the same file ("Settings need fixing: A; B"), or null for other words. A tray app started
 * beside the waiting service announced the same broken file again in its own words.
 */
export function settingsMistakes(message: string): string | null {
  const m =
    /What is wrong: (.*?)\. To fix it:/.exec(message) ??
    /^Settings need fixing: (.*)$/.exec(message);
  if (!m) return null;
  return m[1]!
    .split('; ')
    .map((part) => part.replace(/[.\s]+$/, ''))
    .join('; ');
}
