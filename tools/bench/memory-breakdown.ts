// Where a process's resident memory is, from the kernel's view (/proc/<pid>/smaps) beside V8's
// (process.memoryUsage): file-backed pages (the node binary, ICU data and libraries as code paths
// are first used: bounded by the files' size), the main malloc arena ([heap], grown by brk),
// other anonymous mappings (V8's heap, large buffers, the malloc arenas of the thread pool) and
// V8's own counts. Growth that shows in one column and not the others names its cause.
import { readFileSync } from 'node:fs';

export interface MemoryBreakdown {
  rss: number;
  /** Resident pages of mapped files. */
  file: number;
  /** The main malloc arena (brk heap). */
  brk: number;
  /** Anonymous mappings other than [heap]: V8's heap, big buffers, thread arenas, stacks. */
  anon: number;
  /** Anonymous mappings that start on a 64 MiB boundary (where glibc puts thread arenas). */
  arenas: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export function memoryBreakdown(pid: number | 'self' = 'self'): MemoryBreakdown {
  const m = process.memoryUsage();
  const out: MemoryBreakdown = {
    rss: 0,
    file: 0,
    brk: 0,
    anon: 0,
    arenas: 0,
    heapTotal: m.heapTotal,
    heapUsed: m.heapUsed,
    external: m.external,
    arrayBuffers: m.arrayBuffers,
  };
  let kind: 'file' | 'brk' | 'anon' = 'anon';
  let arenaRun = false;
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      const name = head[3] ?? '';
      kind = name === '[heap]' ? 'brk' : name.startsWith('/') ? 'file' : 'anon';
      // glibc maps each thread arena at a 64 MiB boundary (V8's pages are smaller and aligned
      // to less), so this approximates the thread pool's malloc arenas.
      arenaRun = kind === 'anon' && parseInt(head[1]!, 16) % (64 * 1024 * 1024) === 0;
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (!rss) continue;
    const bytes = Number(rss[1]) * 1024;
    out.rss += bytes;
    out[kind] += bytes;
    if (arenaRun) out.arenas += bytes;
  }
  return out;
}

const mb = (n: number): string => (n / 1e6).toFixed(1);

export function formatBreakdown(b: MemoryBreakdown): string {
  return (
    `rss ${mb(b.rss)} = file ${mb(b.file)} + brk ${mb(b.brk)} + anon ${mb(b.anon)} ` +
    `(of which 64 MiB-aligned arenas ${mb(b.arenas)}); V8 heap ${mb(b.heapTotal)} ` +
    `(used ${mb(b.heapUsed)}), external ${mb(b.external)}, arrayBuffers ${mb(b.arrayBuffers)}`
  );
}
