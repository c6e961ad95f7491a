// Whether the transit folder is a disk of its own, kept across restarts. transit-place.ts tells a
// disk gone away from its empty mount point by what the last trusted look found. Held in memory
// only, that was lost with the process: a hub started while the disk was out (a reboot with the
// USB disk left unplugged, an fstab `nofail` mount that failed) read the empty mount point as an
// emptied queue, forgot every journal entry, and staged the next files into the mount point on the
// disk below, where they were hidden once the disk was mounted again. (A transit folder below
// /media, /mnt or /run/media is judged without it: transit-place.ts underAbsentDisk.)
//
// One small JSON file beside the journal names the transit folder found to be a disk of its own.
// Written when that is first seen, not at every pass; a damaged one is read as no record. A
// transit folder chosen anew in settings has no record until a look finds it a disk of its own.
import fs from 'node:fs/promises';
import * as z from 'zod';
import { atomicWriteFile } from '../fsutil/index.js';
import { silentLogger, type Logger } from '../ports.js';
import { lookAtTransit, type TransitLook, type TransitPlace } from './transit-place.js';

export const TRANSIT_DISK_FILE = 'transit-disk.json';

const savedSchema = z.object({
  version: z.literal(1),
  /** The transit folder (as settings name it) that was the mount point of a disk of its own. */
  ownDisk: z.string().min(1),
});

export class TransitDiskRecord {
  /** The recorded folder; undefined until the file was read (once per process). */
  private recorded: string | null | undefined;
  private toldUnsaved = false;

  constructor(
    private readonly file: string,
    private readonly logger: Logger = silentLogger,
    /** false (a read-only engine): recalled, never written. */
    private readonly writable = true,
  ) {}

  /** What the last process found this transit folder to be, or null when it found nothing. */
  async recalled(transitDir: string): Promise<TransitPlace | null> {
    return (await this.read()) === transitDir ? { ownDisk: true } : null;
  }

  /** Records that `transitDir` is a disk of its own; writes only when that is news. */
  async remember(transitDir: string): Promise<void> {
    if (!this.writable || (await this.read()) === transitDir) return;
    try {
      await atomicWriteFile(this.file, `${JSON.stringify({ version: 1, ownDisk: transitDir })}\n`);
      this.recorded = transitDir;
    } catch (e) {
      // Tried again at the next pass; said once: a full or read-only settings disk says more
      // about itself elsewhere.
      if (this.toldUnsaved) return;
      this.toldUnsaved = true;
      this.logger.warn(
        'could not record that the transit folder is a disk of its own: a restart while that disk is unmounted would not notice it',
        { file: this.file, reason: e instanceof Error ? e.message : String(e) },
      );
    }
  }

  private async read(): Promise<string | null> {
    if (this.recorded !== undefined) return this.recorded;
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
        this.logger.warn('could not read the record of the transit disk', {
          file: this.file,
          reason: e instanceof Error ? e.message : String(e),
        });
      return (this.recorded = null);
    }
    try {
      return (this.recorded = savedSchema.parse(JSON.parse(text)).ownDisk);
    } catch {
      // Rewritten by the next look that finds the disk mounted.
      this.logger.warn('the record of the transit disk is damaged: it is read as none', {
        file: this.file,
      });
      return (this.recorded = null);
    }
  }
}

/**
 * lookAtTransit, knowing from `record` what an earlier process found when this one has not looked
 * yet, and recording a disk of its own when a trusted look finds one.
 */
export function lookAtTransitRecorded(
  transitDir: string,
  record: TransitDiskRecord,
): (known: TransitPlace | null, queued: () => boolean) => Promise<TransitLook> {
  return async (known, queued) => {
    const look = await lookAtTransit(
      transitDir,
      known ?? (await record.recalled(transitDir)),
      queued,
    );
    if (look.place?.ownDisk) await record.remember(transitDir);
    return look;
  };
}
