// Commands the messages tell people to type. A word pasted into a shell as printed must reach the
// command as it was meant: `sudo -u #1000 rdl-sync …` ran `sudo -u` alone (the shell took `#1000 …`
// for a comment), and a path with a space or a quote split into two words.

/** `word` as one shell word: bare when it holds nothing the shell treats specially, else quoted. */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_./:=@%+,-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
