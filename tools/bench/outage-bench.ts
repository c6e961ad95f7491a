// A long Dropbox outage on a hub whose SD card keeps working (`npm run bench -- outage`): a queue
// of `--outage-files N` files (default 20,000) in the real sites' folder pattern, staged and
// archived while Dropbox is unreachable (a closed port on loopback), then passes of the started
// engine over that queue as the daemon runs them (its run lock held, no new files): the CPU of
// each and the RSS; the engine's files on disk; then the link returns and the queue drains:
// time, CPU, peak RSS, requests by route. The link returns by a settings change (the engine
// rebuilds and walks transit anyway); test/pipeline/outage-walk.test.ts covers the same engine
// finding Dropbox back by itself.
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  drain,
  makeEngine,
  peakRss,
  requestsByRoute,
  resolve,
  withEmulator,
} from './engine-bench.js';

const OFFLINE_PASSES = 5;
const UNREACHABLE = 'http://127.0.0.1:9';

/** The real sites' pattern (WORKLOAD.md): a daily RDL file, cameras every 15 min, infrared. */
function relFor(i: number): string {
  const day = Math.floor(i / 250);
  const date = new Date(Date.UTC(2026, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
  const n = i % 250;
  if (n === 0) return `RDL/USB0/${date.slice(0, 7)}/RDL_${date}_USB0.txt`;
  if (n === 1) return `internet/${date.slice(0, 7)}/internet_${date}.txt`;
  const cam = n < 98 ? 'reolink1' : n < 194 ? 'reolink2' : 'infrared1';
  const slot = n % 96;
  const hhmm = `${String(Math.floor(slot / 4)).padStart(2, '0')}_${String((slot % 4) * 15).padStart(2, '0')}`;
  const ext = cam === 'infrared1' && n % 2 === 0 ? 'csv' : 'jpg';
  return `cameras/${cam}/${date}/${date}_${hhmm}_${n}.${ext}`;
}

async function bytesBelow(dir: string): Promise<number> {
  let total = 0;
  for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? await bytesBelow(p) : (await fs.stat(p)).size;
  }
  return total;
}

const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

export async function runOutageBench(opts: { files?: number } = {}): Promise<void> {
  const files = opts.files ?? 20_000;
  const o = resolve({});
  await withEmulator(o, async (root, emu) => {
    const dir = path.join(root, 'outage');
    const engine = await makeEngine(dir, emu, {
      dropboxEndpoint: UNREACHABLE,
      intervalSeconds: 86_400, // the passes below are run by hand, under the daemon's lock
    });
    const settings = engine.getSettings();
    try {
      const body = Buffer.alloc(1024, 'x');
      const made = new Set<string>();
      for (let i = 0; i < files; i++) {
        const file = path.join(dir, 'tosync', ...relFor(i).split('/'));
        const folder = path.dirname(file);
        if (!made.has(folder)) await fs.mkdir(folder, { recursive: true });
        made.add(folder);
        await fs.writeFile(file, body);
      }
      await engine.start();
      await engine.runPassNow(); // after the scheduler's first pass: the queue is in transit
      const q = engine.getStatus().counts;
      console.log(
        `queue: ${q.transit} files in transit, ${q.archivePending} still to archive, Dropbox unreachable`,
      );
      const cpuMs: number[] = [];
      for (let i = 0; i < OFFLINE_PASSES; i++) {
        const c0 = process.cpuUsage();
        const r = await engine.runPassNow();
        const c = process.cpuUsage(c0);
        cpuMs.push((c.user + c.system) / 1000);
        if (r.uploadBlocked === null || r.remainingInTransit !== files)
          throw new Error(`the outage pass did not hold the queue: ${JSON.stringify(r)}`);
      }
      const s = engine.getStatus();
      console.log(
        `offline pass, ${files} queued: CPU ${cpuMs.map((ms) => ms.toFixed(0)).join(', ')} ms; ` +
          `RSS ${mb(process.memoryUsage.rss())}; status: "${s.sentence}" ` +
          `(transit ${s.counts.transit}, upload pending ${s.counts.uploadPending})`,
      );
      const configDir = path.join(dir, 'config');
      const names = await fs.readdir(configDir);
      const sizes = await Promise.all(
        names.map(
          async (n) => `${n} ${mb(await bytesBelow(path.join(configDir, n)).catch(() => 0))}`,
        ),
      );
      for (const n of names) {
        const st = await fs.stat(path.join(configDir, n));
        if (!st.isDirectory()) sizes[names.indexOf(n)] = `${n} ${mb(st.size)}`;
      }
      console.log(`engine's files: ${sizes.join(', ')}`);

      await emu.admin('reset-stats');
      const saved = await engine.saveSettings({ ...settings, dropboxEndpoint: emu.url });
      if (!saved.ok) throw new Error('could not point the engine at the emulator again');
      const peak = peakRss();
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      const passes = await drain(engine);
      const seconds = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      const stats = await emu.admin<Record<string, number>>('stats');
      console.log(
        `recovery: ${files} files in ${seconds.toFixed(1)} s (${(files / seconds).toFixed(0)} files/s, ` +
          `${passes} passes), CPU ${((c.user + c.system) / 1000 / files).toFixed(2)} ms per file, ` +
          `peak RSS ${mb(peak.stop())}; ${requestsByRoute(stats, files)}`,
      );
    } finally {
      await engine.stop();
    }
  });
}
