// The old setup's files as text, only when they are UTF-8. A Windows editor saves the config.json
// as Latin-1 (Windows-1252) unless told otherwise: read as 'utf8', "Café" became "Caf\uFFFD" and
// the import made the Dropbox folder /Professional/WIRED/Caf\uFFFD_Site, exit 0. Python's
// json.load refused the same file, so the old syncer never ran on it either.
import { LegacyImportError } from './errors.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * The text of `bytes`, or a refusal naming `what`, `file`, and the line and column of the first
 * byte that is not UTF-8. Never the text around it: the file may hold a secret (the uploader's
 * token, the loggers' email password).
 */
export function decodeUtf8File(bytes: Uint8Array, what: string, file: string): string {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    const at = firstNonUtf8Byte(bytes);
    const where = at < 0 ? '' : ` (the first character that is not: line ${lineColumn(bytes, at)})`;
    throw new LegacyImportError(
      `The ${what} at ${file} is not UTF-8${where}: save the file as UTF-8 (in Notepad: Save As, Encoding UTF-8), then import again`,
    );
  }
}

/** "3, column 12" for byte `at`: lines end at \n; the column counts characters, as an editor does. */
function lineColumn(bytes: Uint8Array, at: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at; i++) {
    if (bytes[i] === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  // Everything before the first bad byte is UTF-8: its characters are what the editor counts.
  const before = strictUtf8.decode(bytes.subarray(lineStart, at));
  return `${line}, column ${[...before].length + 1}`;
}

/**
 * Where the first sequence that is not UTF-8 starts (RFC 3629: no overlong forms, no surrogates,
 * nothing past U+10FFFF), or -1.
 */
export function firstNonUtf8Byte(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    let follow: number;
    // The range the second byte must fall in; later ones are always 0x80..0xBF.
    let [low, high] = [0x80, 0xbf];
    if (lead >= 0xc2 && lead <= 0xdf) follow = 1;
    else if (lead >= 0xe0 && lead <= 0xef) {
      follow = 2;
      if (lead === 0xe0) low = 0xa0;
      if (lead === 0xed) high = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      follow = 3;
      if (lead === 0xf0) low = 0x90;
      if (lead === 0xf4) high = 0x8f;
    } else return i;
    for (let k = 1; k <= follow; k++) {
      const b = bytes[i + k];
      if (b === undefined) return i;
      if (k === 1 ? b < low || b > high : b < 0x80 || b > 0xbf) return i;
    }
    i += follow + 1;
  }
  return -1;
}
