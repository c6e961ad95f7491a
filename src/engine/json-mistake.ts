// Where a hand-edited JSON file breaks, in words a technician can act on, never quoting the file.
// V8's own message quotes the text around the fault (`Unexpected token 'a', ..."mtpUser": apikey,
// ...`), so a password next to a typo reached the status, the alerts and the e-mails; and its
// "Expected double-quoted property name in JSON at position 339" is a developer's wording. So the
// message is not used at all: the place is found by a small scan of our own, which also finds one
// where V8 gives no position (its "Unexpected token" messages have none).

/** Hand edits that break JSON; a technician can check for each without knowing the grammar. */
export const JSON_MISTAKE_HINT =
  'look there for a missing comma or double quotes, a comma before } or ], a # or // comment, or single quotes, which JSON does not allow';

/**
 * Where `text` (which JSON.parse refused) stops being JSON: "the parser stopped at line N, column
 * M", the line and column an editor (nano, the desktop's) shows; or "it ends too early" (a quote
 * or a brace never closed, or nothing at all). Lines end at \n, so a Windows \r\n file counts the same.
 */
export function whereJsonInvalid(text: string): string {
  const at = firstFault(text);
  if (at === null) return 'unexpected character';
  if (at >= text.length) return 'it ends too early';
  const { line, column } = lineColumnAt(text, at);
  return `the parser stopped at line ${line}, column ${column}`;
}

/**
 * Line and column of `offset`, as an editor (nano, the desktop's) shows them: "character 44" of a
 * file had to be counted by hand. Lines end at \n, so a Windows \r\n file counts the same.
 */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  return {
    line: before.split('\n').length,
    column: before.length - before.lastIndexOf('\n'),
  };
}

/** whereJsonInvalid, with what to look for there when it names a place. */
export function jsonMistake(text: string): string {
  const where = whereJsonInvalid(text);
  return where.startsWith('the parser stopped') ? `${where}; ${JSON_MISTAKE_HINT}` : where;
}

class Fault {
  constructor(readonly at: number) {}
}

/** The offset of the first character that is not JSON (text.length: it ends too early), or null. */
function firstFault(text: string): number | null {
  let i = 0;
  const fail = (): never => {
    throw new Fault(i);
  };
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const string = (): void => {
    if (text[i] !== '"') fail();
    i++;
    for (;;) {
      if (i >= text.length) fail();
      const c = text[i]!;
      if (c === '"') {
        i++;
        return;
      }
      if (c < ' ') fail();
      if (c === '\\') {
        i++;
        if (i >= text.length) fail();
        if (text[i] === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) fail();
          i += 5;
        } else if ('"\\/bfnrt'.includes(text[i]!)) i++;
        else fail();
      } else i++;
    }
  };
  const value = (): void => {
    ws();
    if (i >= text.length) fail();
    const c = text[i]!;
    if (c === '{') {
      i++;
      ws();
      if (text[i] === '}') {
        i++;
        return;
      }
      for (;;) {
        ws();
        string();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === '}') {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '[') {
      i++;
      ws();
      if (text[i] === ']') {
        i++;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i++;
        else if (text[i] === ']') {
          i++;
          return;
        } else fail();
      }
    }
    if (c === '"') return string();
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return;
      }
    }
    if (c === '-') i++; // a lone minus: the fault is what follows it, as V8 says
    const num = /^(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!num) fail();
    i += num![0].length;
  };
  try {
    value();
    ws();
    if (i < text.length) fail();
    return null;
  } catch (e) {
    if (e instanceof Fault) return Math.min(e.at, text.length);
    return null; // the scan itself failed (nesting deeper than the stack): no place to name
  }
}
