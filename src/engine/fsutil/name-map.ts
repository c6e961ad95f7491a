// Names on a Linux disk are bytes; Dropbox and our rels are UTF-8 text. A logger with a Latin-1
// locale writes `café.csv` as the bytes 63 61 66 E9 2E 63 73 76, which is not UTF-8. Such a name
// must still sync, under one name that both legs (Dropbox and the card) use, and a person must be
// able to tell which file it was. So each name read from the watch folder is mapped to text:
//
//  - A name that is valid UTF-8 and contains no '\' and no '%' followed by two hex digits is used
//    as it is. Nearly every real name is of this kind and does not change.
//  - Any other name is written in "escaped form": every byte that is not part of valid UTF-8,
//    every '\' and every '%' becomes '%' and two upper-case hex digits ('%E9', '%5C', '%25');
//    the rest stays as it is. So `caf\xE9.csv` syncs as `caf%E9.csv` and `a\b.csv` as `a%5Cb.csv`.
//    '\' is escaped because Dropbox would read it as a folder separator while the card would
//    not: one rule for both legs keeps them identical.
//  - A name ending in a space or other ASCII whitespace is escaped too, its last character
//    written as '%20' (or '%09', ...): Dropbox refuses names that end in a space (rclone's
//    Dropbox backend encodes a trailing space for that reason), so `data.csv ` syncs as
//    `data.csv%20` on both legs instead of failing its upload for good.
//  - A folder at the top of the watch folder named like RDL Sync's reserved transit folder
//    (`.rdl-sync-tmp`) is also escaped, its leading '.' written '%2E', so it syncs as
//    `%2Erdl-sync-tmp` and can never land inside the engine's temporaries.
//
// Reading back: each '%XX' in a mapped name is the byte XX, everything else is its UTF-8 bytes.
// That recovers the original bytes of every name, so the mapping is lossless and two different
// names never share a mapped name (a plain name never contains '%XX'; an escaped one contains no
// unescaped '%'). Staging uses it to find the original file from the rel alone.
const ESCAPE = 0x25; // '%'
const BACKSLASH = 0x5c;
const DOT = 0x2e;

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const HEX_ESCAPE = /%[0-9A-Fa-f]{2}/;
/** ASCII whitespace: space, tab, line feed, vertical tab, form feed, carriage return. */
const isAsciiSpace = (b: number | undefined): boolean =>
  b === 0x20 || (b !== undefined && b >= 0x09 && b <= 0x0d);

function hex(byte: number): string {
  return `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
}

function decodeUtf8(raw: Uint8Array): string | null {
  try {
    return strictUtf8.decode(raw);
  } catch {
    return null;
  }
}

/** Length of the valid UTF-8 sequence starting at raw[i], or 0 when the byte starts none. */
function utf8SequenceLength(raw: Uint8Array, i: number): number {
  const b = raw[i] as number;
  const len =
    b < 0x80
      ? 1
      : b >= 0xc2 && b <= 0xdf
        ? 2
        : b >= 0xe0 && b <= 0xef
          ? 3
          : b >= 0xf0 && b <= 0xf4
            ? 4
            : 0;
  if (len <= 1) return len;
  if (i + len > raw.length) return 0;
  return decodeUtf8(raw.subarray(i, i + len)) === null ? 0 : len;
}

export interface NameMapOptions {
  /** Names that must never be used as they are (the reserved folder, at the top level). */
  reserved?: ReadonlySet<string>;
}

/**
 * The text name a raw on-disk name syncs under (see the rules above). `decoded`: the raw name
 * already decoded by the caller (null: not UTF-8), so a walk decodes each name once.
 */
export function nameFromBytes(
  raw: Uint8Array,
  options: NameMapOptions = {},
  decoded?: string | null,
): string {
  const text = decoded === undefined ? decodeUtf8(raw) : decoded;
  const trailingSpace = isAsciiSpace(raw[raw.length - 1]);
  if (text !== null && !text.includes('\\') && !HEX_ESCAPE.test(text) && !trailingSpace) {
    if (!options.reserved?.has(text)) return text;
  }
  let out = '';
  let i = 0;
  if (text !== null && options.reserved?.has(text) && raw[0] === DOT) {
    out = hex(DOT);
    i = 1;
  }
  while (i < raw.length) {
    const b = raw[i] as number;
    if (b === ESCAPE || b === BACKSLASH || (trailingSpace && i === raw.length - 1)) {
      out += hex(b);
      i++;
      continue;
    }
    const len = utf8SequenceLength(raw, i);
    if (len === 0) {
      out += hex(b);
      i++;
    } else {
      out += Buffer.from(raw.subarray(i, i + len)).toString('utf8');
      i += len;
    }
  }
  return out;
}

/** The on-disk bytes of a mapped name: the inverse of nameFromBytes. */
export function bytesFromName(name: string): Buffer {
  const utf8 = Buffer.from(name, 'utf8');
  if (!name.includes('%')) return utf8;
  const out: number[] = [];
  for (let i = 0; i < utf8.length; i++) {
    const b = utf8[i] as number;
    if (b === ESCAPE && i + 2 < utf8.length && isHex(utf8[i + 1]) && isHex(utf8[i + 2])) {
      out.push(parseInt(String.fromCharCode(utf8[i + 1] as number, utf8[i + 2] as number), 16));
      i += 2;
    } else {
      out.push(b);
    }
  }
  return Buffer.from(out);
}

function isHex(b: number | undefined): boolean {
  return (
    b !== undefined &&
    ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66))
  );
}

/** True when the mapped name is not the on-disk name itself (its bytes had to be escaped). */
export function isEscapedName(name: string): boolean {
  return HEX_ESCAPE.test(name);
}
