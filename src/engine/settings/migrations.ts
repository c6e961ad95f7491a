// The settings file's version and the steps that bring an older file up to it. Devices run the
// same config.json for years across upgrades, so a rename or a changed meaning of a setting is a
// step here, never a silent reinterpretation. A file written by a NEWER build is refused, not
// "repaired": this build cannot know what the newer fields mean, and saving would drop them.
//
// How to add a step (a setting renamed, split, or its unit changed):
//   1. Raise CONFIG_VERSION by one.
//   2. Append { to: <new version>, why, migrate } to STEPS; `migrate` gets the raw file object
//      (any version's shape: check types, never assume) and returns the new one.
//   3. Add a test in test/settings/migrations.test.ts with a real file of the old shape.
// A new setting with a default needs no step: a file without it takes the default.
// Reading migrates in memory only (reading never writes); the next save writes the new version.

/** The key in config.json; files without it were written before versions existed (version 0). */
export const CONFIG_VERSION_KEY = 'configVersion';

interface MigrationStep {
  /** The version this step produces; steps run in order from the file's version upwards. */
  to: number;
  /** Why the step exists, for the next person reading this list. */
  why: string;
  migrate(raw: Record<string, unknown>): Record<string, unknown>;
}

const STEPS: readonly MigrationStep[] = [
  {
    to: 1,
    why: 'Files from before configVersion existed: the settings are read as they are; only the version is added',
    migrate: (raw) => raw,
  },
];

/** The version this build writes: the last step's. */
export const CONFIG_VERSION: number = STEPS.at(-1)?.to ?? 0;

export type MigrationResult =
  | { ok: true; data: Record<string, unknown>; fromVersion: number; steps: number }
  | { ok: false; message: string };

/**
 * Brings the raw contents of `file` up to CONFIG_VERSION (in memory). The result holds no
 * `configVersion` key: the version is the file's business, not a setting.
 */
export function migrateSettingsFile(
  raw: Record<string, unknown>,
  file: string,
  steps: readonly MigrationStep[] = STEPS,
): MigrationResult {
  const target = steps.at(-1)?.to ?? 0;
  const stated = raw[CONFIG_VERSION_KEY];
  const version = stated === undefined ? 0 : stated;
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0) {
    return {
      ok: false,
      message: `The settings file ${file} has "${CONFIG_VERSION_KEY}": ${JSON.stringify(stated)}, which is not a version number: set it to ${target} if the file was written by this version of RDL Sync, or delete the line`,
    };
  }
  if (version > target) {
    return {
      ok: false,
      message: `The settings file ${file} was written by a newer RDL Sync (settings version ${version}; this one reads up to ${target}). It is left untouched: update RDL Sync on this machine, or point it at another config folder (--config-dir)`,
    };
  }
  let data: Record<string, unknown> = { ...raw };
  delete data[CONFIG_VERSION_KEY];
  let ran = 0;
  for (const step of steps) {
    if (step.to <= version) continue;
    data = step.migrate(data);
    ran++;
  }
  return { ok: true, data, fromVersion: version, steps: ran };
}
