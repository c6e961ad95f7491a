// Legacy import: takes over the old Python syncer (its config.json, folder layout and the bash
// uploader's token) through the same settings validation as every other writer. The credentials
// are saved before the settings, so the one rebuild the settings save causes picks up both. What
// it took from the old setup is recorded (legacy/import-record.ts), so that a second import keeps
// the settings changed since the first.
import { chown, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { LegacyImportReport } from '../api.js';
import { SyncError } from '../errors.js';
import { prepareLegacyImport, readImportRecord, writeImportRecord } from '../legacy/index.js';
import type { Settings } from '../settings/schema.js';
import type { DropboxAccount } from './dropbox-account.js';
import type { SettingsService } from './settings-service.js';

export interface LegacyImportInput {
  configJsonPath?: string;
  root?: string;
  uploaderConfigPath?: string;
  remoteRootTemplate?: string;
  /** Take every value from the old setup, over settings changed since the last import. */
  replace?: boolean;
  /** Plan and report only: save, make and ask nothing. */
  dryRun?: boolean;
}

export interface LegacyImportDeps {
  current: Settings;
  /** The settings folder, where the import's record is kept. */
  configDir: string;
  nowMs(): number;
  settings: SettingsService;
  account: DropboxAccount;
  /** Saves validated settings and applies them; false when they equal what is saved. */
  saveAndApply(settings: Settings): Promise<boolean>;
  /** Applies a change of credentials alone. */
  apply(reason: string): Promise<void>;
}

export async function importLegacy(
  input: LegacyImportInput,
  deps: LegacyImportDeps,
): Promise<LegacyImportReport> {
  const { dryRun, ...request } = input;
  const record = input.replace ? null : await readImportRecord(deps.configDir);
  const plan = await prepareLegacyImport({
    ...request,
    ...(dryRun ? { dryRun: true } : {}),
    current: deps.current,
    ...(record ? { previous: record.values } : {}),
  });
  const checked = deps.settings.validate(plan.settings);
  if (!checked.ok) {
    throw new SyncError({
      kind: 'blocked',
      code: 'settings-invalid',
      message: `The imported settings are not valid: ${checked.issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`,
    });
  }
  if (dryRun) return { ...plan.report, dryRun: true };
  for (const folder of plan.createFolders) await createFolder(folder);
  if (plan.credentials) await deps.account.save(plan.credentials);
  const applied = await deps.saveAndApply(checked.settings);
  if (!applied && plan.credentials) await deps.apply('legacy import: credentials');
  try {
    await writeImportRecord(deps.configDir, { importedAtMs: deps.nowMs(), values: plan.imported });
  } catch (e) {
    // The import itself is saved; only a later one loses its memory of it.
    plan.report.warnings.push(
      `Imported, but what was imported could not be recorded (${(e as NodeJS.ErrnoException).code ?? String(e)}): a later import will not know which settings you changed since, and will set them all again`,
    );
  }
  return plan.report;
}

/** The hub's own local archive folder, made before the settings pointing at it are saved. */
async function createFolder(folder: string): Promise<void> {
  try {
    // Not recursive: its parent is the logging folder the import found.
    await mkdir(folder);
    // Made by root (sudo) in pi's logging folder, it must still be pi's: the service runs as pi.
    if (process.getuid?.() === 0) {
      const parent = await stat(dirname(folder));
      await chown(folder, parent.uid, parent.gid);
    }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'error';
    if (code === 'EEXIST') return;
    throw new SyncError({
      kind: 'blocked',
      code: 'settings-invalid',
      message: `Cannot create the archive folder ${folder} (${code}): run the import as the user who owns ${dirname(folder)}, or create the folder yourself`,
    });
  }
}
