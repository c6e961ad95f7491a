// What a field logger leaves behind, made up for the demo: CSV files of readings, camera
// snapshots, and one large burst file that needs a chunked upload. Each file is written in a
// scratch folder first and then renamed into the watch folder, the way a careful logger
// publishes a finished file; the hash is taken before the sync engine can touch it.
import fs from 'node:fs/promises';
import path from 'node:path';
import { hashFileDropbox } from '../../src/engine/fsutil/index.js';

export interface SampleFile {
  rel: string;
  size: number;
  /** Dropbox content hash of what was written. */
  hash: string;
}

export interface SamplePlan {
  /** Files in the order they appear, grouped in bursts a second apart. */
  bursts: { rel: string; make: (dest: string) => Promise<void> }[][];
}

const MiB = 1024 * 1024;

/** Small seeded generator: the same demo writes the same bytes every time. */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function csvReadings(startMs: number, rows: number, random: () => number): string {
  const lines = ['timestamp,temperature_c,humidity_pct,pressure_hpa,battery_v'];
  let t = 4 + random() * 3;
  let h = 75 + random() * 10;
  for (let i = 0; i < rows; i++) {
    t += (random() - 0.5) * 0.2;
    h = Math.min(100, Math.max(40, h + (random() - 0.5) * 0.8));
    const p = 1008 + random() * 10;
    const v = 12.6 - i * 0.0005;
    const at = new Date(startMs + i * 10_000).toISOString().replace('.000Z', 'Z');
    lines.push(`${at},${t.toFixed(2)},${h.toFixed(1)},${p.toFixed(1)},${v.toFixed(3)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** JPEG start and end markers around bytes that say plainly they are not a picture. */
function fakeJpeg(index: number, random: () => number): Buffer {
  const note = Buffer.from(
    `RDL Sync demo: stand-in for camera snapshot ${index}, not a real image`,
  );
  const noise = Buffer.alloc(20_000 + Math.floor(random() * 60_000));
  for (let i = 0; i < noise.length; i++) noise[i] = Math.floor(random() * 256);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8, 0xff, 0xfe]),
    note,
    noise,
    Buffer.from([0xff, 0xd9]),
  ]);
}

/** Written 1 MiB at a time, so the demo never holds the whole file in memory. */
async function writeLarge(dest: string, bytes: number, random: () => number): Promise<void> {
  const handle = await fs.open(dest, 'w');
  try {
    const piece = Buffer.alloc(MiB);
    for (let done = 0; done < bytes; done += piece.length) {
      for (let i = 0; i < piece.length; i += 4) piece.writeUInt32LE((random() * 2 ** 32) >>> 0, i);
      await handle.write(piece, 0, Math.min(piece.length, bytes - done));
    }
  } finally {
    await handle.close();
  }
}

/**
 * `smallFiles` CSV and JPEG files (about three CSV to one JPEG) spread over `seconds` bursts,
 * plus one `largeMiB` file in the middle.
 */
export function planSamples(smallFiles: number, seconds: number, largeMiB: number): SamplePlan {
  const random = seeded(20261124);
  const day = Date.UTC(2026, 10, 24, 6, 0, 0);
  const bursts: SamplePlan['bursts'] = Array.from({ length: seconds }, () => []);
  let csv = 0;
  let jpg = 0;
  for (let i = 0; i < smallFiles; i++) {
    const burst = bursts[i % seconds]!;
    if (i % 4 === 3) {
      const n = ++jpg;
      const body = fakeJpeg(n, random);
      burst.push({
        rel: `cameras/cam${(n % 2) + 1}/snapshot-${String(n).padStart(4, '0')}.jpg`,
        make: (dest) => fs.writeFile(dest, body),
      });
    } else {
      const n = csv++;
      const start = day + n * 3_600_000;
      const stamp = new Date(start).toISOString().slice(0, 13).replace('T', '_');
      const body = csvReadings(start, 360, random);
      burst.push({
        rel: `RDL/USB${n % 2}/${stamp}00.csv`,
        make: (dest) => fs.writeFile(dest, body),
      });
    }
  }
  bursts[Math.floor(seconds / 2)]!.push({
    rel: 'RDL/USB0/highrate-burst-0001.bin',
    make: (dest) => writeLarge(dest, largeMiB * MiB + 123_457, random),
  });
  return { bursts };
}

/** Makes one file in the scratch folder, hashes it, and renames it into the watch folder. */
export async function publish(
  file: SamplePlan['bursts'][number][number],
  scratchDir: string,
  watchDir: string,
): Promise<SampleFile> {
  const scratch = path.join(scratchDir, file.rel.replaceAll('/', '__'));
  await file.make(scratch);
  const [stat, hash] = await Promise.all([fs.stat(scratch), hashFileDropbox(scratch)]);
  const dest = path.join(watchDir, ...file.rel.split('/'));
  await fs.mkdir(path.dirname(dest), { recursive: true });
  await fs.rename(scratch, dest);
  return { rel: file.rel, size: stat.size, hash };
}
