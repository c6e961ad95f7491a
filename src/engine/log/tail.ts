// The last lines of a log, read backwards in blocks so a large file is never loaded whole.
import { open } from 'node:fs/promises';

const BLOCK = 64 * 1024;

export async function tailLog(file: string, lines: number): Promise<string[]> {
  if (lines <= 0) return [];
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  try {
    const { size } = await handle.stat();
    const chunks: Buffer[] = [];
    let newlines = 0;
    let pos = size;
    // One newline more than asked for marks where the first wanted line starts.
    while (pos > 0 && newlines <= lines) {
      const len = Math.min(BLOCK, pos);
      pos -= len;
      const buf = Buffer.alloc(len);
      await handle.read(buf, 0, len, pos);
      chunks.unshift(buf);
      for (const byte of buf) if (byte === 0x0a) newlines++;
    }
    const text = Buffer.concat(chunks).toString('utf8');
    const all = text.split(/\r?\n/);
    if (all.at(-1) === '') all.pop();
    // When reading stopped mid-file, the first piece may be part of a line: drop it.
    if (pos > 0) all.shift();
    return all.slice(-lines);
  } finally {
    await handle.close();
  }
}
