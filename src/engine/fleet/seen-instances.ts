// Which hubs were seen writing each site's heartbeat. Every hub writes `<site>.json` with a fresh
// random instance id per start, so a single read shows only the last writer: two hubs with the
// same site name (a cloned SD image) overwrite each other. A viewer remembers the instances it
// saw; two instances whose lifetimes overlap (one started before the other's last heartbeat) are
// two hubs at once. A restart is not: the new instance starts after the old one's last beat.
import fs from 'node:fs/promises';
import path from 'node:path';
import { atomicWriteFile } from '../fsutil/index.js';
import type { Heartbeat } from './heartbeat.js';
import type { SeenInstance } from './types.js';

export type { SeenInstance };

/** Instances not heard from for this long are forgotten. */
const FORGET_AFTER_MS = 48 * 3_600_000;
const MAX_PER_SITE = 20;

export class SeenInstances {
  private readonly bySite = new Map<string, SeenInstance[]>();

  constructor(private readonly file: string | null) {}

  static async open(file: string | null): Promise<SeenInstances> {
    const seen = new SeenInstances(file);
    if (!file) return seen;
    try {
      const raw = JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
      if (raw && typeof raw === 'object') {
        for (const [site, list] of Object.entries(raw as Record<string, unknown>)) {
          if (!Array.isArray(list)) continue;
          const ok = list.filter(isSeenInstance);
          if (ok.length > 0) seen.bySite.set(site, ok);
        }
      }
    } catch {
      // Missing or damaged: it is only a memory of earlier reads; start afresh.
    }
    return seen;
  }

  /** Records a heartbeat read from `site`'s file. */
  note(site: string, hb: Heartbeat): void {
    const key = site.toLowerCase();
    const list = this.bySite.get(key) ?? [];
    const known = list.find((i) => i.instanceId === hb.instanceId);
    if (known) {
      known.lastWrittenAtMs = Math.max(known.lastWrittenAtMs, hb.writtenAtMs);
      known.host = hb.host;
    } else {
      list.push({
        instanceId: hb.instanceId,
        host: hb.host,
        startedAtMs: hb.startedAtMs,
        lastWrittenAtMs: hb.writtenAtMs,
      });
    }
    list.sort((a, b) => b.lastWrittenAtMs - a.lastWrittenAtMs);
    this.bySite.set(key, list.slice(0, MAX_PER_SITE));
  }

  /**
   * The instances of `site` alive at overlapping times within the last `windowMs` (newest
   * first), or null when only one hub writes it.
   */
  clonesOf(site: string, nowMs: number, windowMs: number): SeenInstance[] | null {
    const recent = (this.bySite.get(site.toLowerCase()) ?? []).filter(
      (i) => nowMs - i.lastWrittenAtMs <= windowMs,
    );
    const overlapping = recent.filter((a) =>
      recent.some(
        (b) => b !== a && a.startedAtMs <= b.lastWrittenAtMs && b.startedAtMs <= a.lastWrittenAtMs,
      ),
    );
    return overlapping.length >= 2 ? overlapping : null;
  }

  async save(nowMs: number): Promise<void> {
    for (const [site, list] of this.bySite) {
      const kept = list.filter((i) => nowMs - i.lastWrittenAtMs <= FORGET_AFTER_MS);
      if (kept.length === 0) this.bySite.delete(site);
      else this.bySite.set(site, kept);
    }
    if (!this.file) return;
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    await atomicWriteFile(
      this.file,
      `${JSON.stringify(Object.fromEntries(this.bySite), null, 1)}\n`,
      { durable: false },
    );
  }
}

function isSeenInstance(v: unknown): v is SeenInstance {
  const i = v as SeenInstance;
  return (
    !!i &&
    typeof i.instanceId === 'string' &&
    typeof i.host === 'string' &&
    typeof i.startedAtMs === 'number' &&
    typeof i.lastWrittenAtMs === 'number'
  );
}
