// Loaded with --import into the CLI that secret-tty.test.ts runs on a pseudo-terminal: right after
// the password prompt is printed, says whether the terminal was already raw (echo off, Ctrl-C a
// key) at that moment. Keys typed as soon as the prompt shows must never be echoed; on a loaded
// machine they arrive between any two steps, so only the order of the steps proves it.
const write = process.stdout.write.bind(process.stdout) as (chunk: string) => boolean;
process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
  const ok = (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  if (String(chunk).includes('then Enter')) {
    process.stderr.write(`[raw when prompted: ${process.stdin.isTTY && process.stdin.isRaw}]`);
  }
  return ok;
}) as typeof process.stdout.write;
