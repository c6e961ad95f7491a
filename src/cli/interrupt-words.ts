// What `once` and `sync` say when Ctrl-C (or a stop) ends them (main.ts installOnceInterrupt).
// Most of the time a pass runs in the command itself, and the words say what became of its files.
// `sync` beside a running daemon only waits for that daemon's pass: ending the wait ends nothing
// else, and "the next run takes them up" would tell the person their files had been left behind.

let instead: string | null = null;

/** From now on, an interrupt says `text` (after "rdl-sync <command>: "). */
export function sayOnInterrupt(text: string): void {
  instead = text;
}

export function interruptWords(command: string, signal: string): string {
  return instead === null
    ? `rdl-sync ${command}: interrupted (${signal}). Nothing is lost: the files it moved are where it put them, and the rest wait in the watch and transit folders; the next run takes them up (a large upload goes on from the part Dropbox already has).\n`
    : `rdl-sync ${command}: ${instead}\n`;
}
