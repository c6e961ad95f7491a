// For the tray-memory benchmark only: with RDL_SYNC_MEMORY_PROBE=<file> in the environment, a
// SIGUSR2 makes the main process write what it holds inside (process.memoryUsage, V8's heap and
// its spaces) to that file, so the benchmark can say how much of the main process's PSS is the
// JavaScript heap and how much is Chromium's browser side. Without the variable nothing is
// installed. The shipped fuses leave no Node inspector, so this is the only way in.
import fs from 'node:fs';
import v8 from 'node:v8';

export interface MemoryProbeReport {
  memoryUsage: NodeJS.MemoryUsage;
  heap: v8.HeapInfo;
  spaces: { name: string; size: number; used: number }[];
}

export function memoryReport(): MemoryProbeReport {
  return {
    memoryUsage: process.memoryUsage(),
    heap: v8.getHeapStatistics(),
    spaces: v8.getHeapSpaceStatistics().map((s) => ({
      name: s.space_name,
      size: s.space_size,
      used: s.space_used_size,
    })),
  };
}

export function installMemoryProbe(env: NodeJS.ProcessEnv = process.env): void {
  const file = env.RDL_SYNC_MEMORY_PROBE;
  if (!file) return;
  process.on('SIGUSR2', () => {
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(memoryReport()));
    fs.renameSync(tmp, file);
  });
}
