// What the last `import-legacy` took from the old config, kept beside the settings: a second
// import (run again to add the forgotten --uploader-config) silently undid the corrections made
// since the first one (`settings set site Site3_Lakeshore` over a placeholder, a card folder put
// right), because it could not tell a value the person chose from one it had set itself.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile } from '../fsutil/index.js';
import type { Settings } from '../settings/schema.js';

export const IMPORT_RECORD_FILE = 'legacy-import.json';

/** The settings an import takes from the old setup; the others are never touched by it. */
export const IMPORTED_KEYS = [
  'watchDir',
  'transitDir',
  'archiveEnabled',
  'archiveDir',
  'archiveMustBeMountPoint',
  'site',
  'remoteRootTemplate',
  'dropboxAppKey',
] as const satisfies readonly (keyof Settings)[];

export type ImportedKey = (typeof IMPORTED_KEYS)[number];
export type ImportedValues = Partial<Pick<Settings, ImportedKey>>;

export interface ImportRecord {
  importedAtMs: number;
  /** The values the import took from the old setup (not those it kept: see plan.ts). */
  values: ImportedValues;
}

/** The last import's record, or null: none yet, or one this version cannot read (as if none). */
export async function readImportRecord(configDir: string): Promise<ImportRecord | null> {
  let text: string;
  try {
    text = await readFile(path.join(configDir, IMPORT_RECORD_FILE), 'utf8');
  } catch {
    return null;
  }
  try {
    const parsed = JSON.parse(text) as Partial<ImportRecord>;
    if (typeof parsed.importedAtMs !== 'number' || typeof parsed.values !== 'object') return null;
    const values: Record<string, unknown> = {};
    for (const key of IMPORTED_KEYS) {
      if (parsed.values !== null && key in parsed.values) values[key] = parsed.values[key];
    }
    return { importedAtMs: parsed.importedAtMs, values: values as ImportedValues };
  } catch {
    return null;
  }
}

export async function writeImportRecord(configDir: string, record: ImportRecord): Promise<void> {
  await atomicWriteFile(
    path.join(configDir, IMPORT_RECORD_FILE),
    JSON.stringify(record, null, 2) + '\n',
  );
}
