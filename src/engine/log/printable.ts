// File names come from the watch folder, where anyone who can write it chooses them: a name may
// hold a newline followed by a made-up log line, terminal escape sequences (ESC ] 0 ; ... BEL sets
// the terminal's title; others recolour, hide or rewrite what is on screen, some terminals even
// write the clipboard), or bidirectional overrides that make "x\u202Evsc.exe" read "xexe.csv".
// Wherever such text is shown as a line (the log, the CLI's status and history), these characters
// are written as visible escapes instead, so one line stays one line and reads as what it is.

/** C0 and C1 controls, DEL, the Unicode line and paragraph separators, bidi embeddings/isolates. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

function escapeOne(c: string): string {
  const named = NAMED[c];
  if (named) return named;
  // As JSON writes them, so a line's JSON fields stay JSON after this.
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `text` with every control character written as an escape (`\n`, `\u001b`, `\u202e`). */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, escapeOne);
}
