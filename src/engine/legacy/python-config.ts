// The old Python script's config.json. The first version held {"SD_CARD_NAME": "SD1", "SITE":
// "Lab7"} (archive on the card mounted at /media/orangepi/SD1). On every hub since mid-2024
// SD_CARD_NAME is empty (the archive is the local synced folder), and the same file carries the
// loggers' own keys (RDL_FILEFORMAT_ACTIVE, camera intervals, email settings): those are not ours
// and are ignored with a note.
import { jsonMistake, lineColumnAt } from '../json-mistake.js';
import { LegacyImportError } from './errors.js';

export interface LegacyConfig {
  /** Empty: the archive is the local synced folder, not a mounted card. */
  sdCardName: string;
  /** False when the file has no SD_CARD_NAME at all (treated like an empty one, with a note). */
  sdCardNamePresent: boolean;
  site: string;
  /** SITE as written, when spaces around it were trimmed off (else null). */
  siteUntrimmed: string | null;
}

const KNOWN_KEYS = ['SD_CARD_NAME', 'SITE'] as const;

function atSentenceStart(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/**
 * `file`: where the text was read, named in every mistake (a hub may hold several old
 * config.json files, one per logger folder, and "the old config.json" did not say which).
 */
export function parseLegacyConfig(text: string, file?: string): LegacyConfig {
  const name = file === undefined ? 'the old config.json' : `the old config.json (${file})`;
  const Name = atSentenceStart(name);
  let data: unknown;
  const withoutBom = text.replace(/^\uFEFF/, '');
  try {
    data = JSON.parse(withoutBom);
  } catch {
    // Never V8's message: it quotes the text around the fault (a value next to a typo).
    throw new LegacyImportError(
      `${Name} is not valid JSON (${jsonMistake(withoutBom)}): it should look like {"SD_CARD_NAME": "SD1", "SITE": "MySite"}`,
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new LegacyImportError(
      `${Name} must hold one JSON object like {"SD_CARD_NAME": "SD1", "SITE": "MySite"}`,
    );
  }
  const record = data as Record<string, unknown>;
  // `"SD_CARD_NAME": null` means no card, as an absent key does (Python reads it as None, falsy).
  const sdCardNamePresent = 'SD_CARD_NAME' in record && record.SD_CARD_NAME !== null;
  const site = folderName(record, 'SITE', 'the site name', false, name);
  return {
    sdCardName: sdCardNamePresent
      ? folderName(record, 'SD_CARD_NAME', 'the SD card folder under /media/orangepi', true, name)
      : '',
    sdCardNamePresent,
    site,
    siteUntrimmed: typeof record.SITE === 'string' && record.SITE !== site ? record.SITE : null,
  };
}

/** Keys other than SD_CARD_NAME and SITE (reported, not imported). */
export function unknownLegacyKeys(text: string): string[] {
  try {
    const data = JSON.parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
    return Object.keys(data).filter((k) => !(KNOWN_KEYS as readonly string[]).includes(k));
  } catch {
    return [];
  }
}

const COLON_NEXT = /\s*:/y;

/**
 * SITE or SD_CARD_NAME written more than once, with the line of each: JSON.parse, like Python's
 * json.load, takes the last without a word. A hub cloned from one image and edited by hand had
 * "SITE": "SiteX_Dummy" near the top and the real name added further down (or the other way
 * round). The loggers' keys are theirs: not looked at. Only for text that parses (a scan of its
 * top-level keys, not a second parser).
 */
export function repeatedLegacyKeys(text: string): { key: string; lines: number[] }[] {
  const withoutBom = text.replace(/^\uFEFF/, '');
  const seen = new Map<string, number[]>();
  let depth = 0;
  for (let i = 0; i < withoutBom.length; i++) {
    const c = withoutBom[i];
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    else if (c === '"') {
      const start = i;
      for (i++; i < withoutBom.length && withoutBom[i] !== '"'; i++)
        if (withoutBom[i] === '\\') i++;
      // A string in the outer object followed by a colon is one of its keys.
      COLON_NEXT.lastIndex = i + 1;
      if (depth === 1 && COLON_NEXT.test(withoutBom)) {
        const key = JSON.parse(withoutBom.slice(start, i + 1)) as string;
        if ((KNOWN_KEYS as readonly string[]).includes(key))
          seen.set(key, [...(seen.get(key) ?? []), lineColumnAt(withoutBom, start).line]);
      }
    }
  }
  return [...seen].filter(([, lines]) => lines.length > 1).map(([key, lines]) => ({ key, lines }));
}

function folderName(
  record: Record<string, unknown>,
  key: string,
  what: string,
  mayBeEmpty: boolean,
  file: string,
): string {
  if (!(key in record)) {
    throw new LegacyImportError(
      `${atSentenceStart(file)} has no "${key}": add "${key}": "..." with ${what}`,
    );
  }
  const value = record[key];
  if (value === null) {
    // Never suggest "null" in quotes: for SD_CARD_NAME that would name a card called null.
    throw new LegacyImportError(
      `"${key}" in ${file} is null: enter ${what} in quotes, e.g. "${key}": "${key === 'SITE' ? 'Site3_Lakeshore' : 'SD1'}"`,
    );
  }
  if (typeof value !== 'string') {
    // A number may be the name without its quotes (a card called 1); true, false, a list or an
    // object is no name: "SD_CARD_NAME": "false" would have named a card called false.
    const fix =
      typeof value === 'number'
        ? `write "${key}": "${String(value)}"`
        : key === 'SD_CARD_NAME'
          ? `write "SD_CARD_NAME": "" for the hub's local 4_synced folder, or the card's name in quotes, e.g. "SD_CARD_NAME": "SD1"`
          : `enter ${what} in quotes, e.g. "${key}": "Site3_Lakeshore"`;
    throw new LegacyImportError(
      `"${key}" in ${file} must be text in quotes (got ${JSON.stringify(value)}): ${fix}`,
    );
  }
  const trimmed = value.trim();
  if (trimmed === '' && mayBeEmpty) return '';
  if (trimmed === '') {
    throw new LegacyImportError(`"${key}" in ${file} is empty: enter ${what}`);
  }
  if (/[/\\]/.test(trimmed) || trimmed === '.' || trimmed === '..') {
    throw new LegacyImportError(
      `"${key}" in ${file} ("${trimmed}") must be a single name without / or \\: enter ${what}`,
    );
  }
  return trimmed;
}
