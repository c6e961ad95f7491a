// What the setup says after an import of the old syncer: each change, what was found (the notes:
// the archive's kind, the layout, "Dropbox accepted the imported login: …"), each warning, and
// whether Dropbox is ready. Imported credentials that Dropbox refused are no connection: the
// setup must offer "Connect Dropbox", not say that files start moving on the next pass.
import type { LegacyImportReport } from '../shared/engine-types.js';

export interface ImportSummary {
  lines: string[];
  /** Dropbox needs nothing more from the person (credentials imported and not refused). */
  dropboxReady: boolean;
}

export function importSummary(report: LegacyImportReport): ImportSummary {
  return {
    lines: [
      ...report.changes.map((c) => `${c.field}: ${JSON.stringify(c.to)}`),
      ...(report.kept ?? []).map(
        (k) => `${k.field}: ${JSON.stringify(k.value)} (kept: changed since the last import)`,
      ),
      ...(report.notes ?? []),
      ...report.warnings.map((w) => `! ${w}`),
    ],
    dropboxReady: report.credentialsImported && report.login !== 'refused',
  };
}
