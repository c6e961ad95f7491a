// One journal save for the copies of a group of small files about to take their final names on
// the archive. Each copy must be saved as ours before its rename (PlaceSink.beforeWrite: a kill
// right after the rename must not leave a later version beside it as `name (1)`), and a save is
// an fsync of the journal: 10-30 ms on an SD card. Saved one copy at a time (shared only by copies
// that happened to wait together), a burst of 500 small files copied with every fsync at 20 ms
// made 0.5 saves per file and ran at 41-44 files/s instead of 64-70. The copies of a group wait
// for one another instead: the save is made once every file of the group still going waits for
// it (0.02 saves per file), and no copy is renamed before the save that holds it.
import type { SyncError } from '../errors.js';
import type { Refusals } from '../ports.js';
import type { WriteToCome } from './leg.js';

interface Waiting {
  copy: WriteToCome;
  resolve: (refused: SyncError | undefined) => void;
  reject: (e: unknown) => void;
}

export class GroupSave {
  /** Files of the group not done yet: stored, failed, stopped, or never started. */
  private going: number;
  private waiting: Waiting[] = [];

  constructor(
    files: number,
    private readonly save: (copies: readonly WriteToCome[]) => Promise<Refusals | void>,
  ) {
    this.going = files;
  }

  /**
   * This copy is verified and about to take its final name: resolves once it is saved, with the
   * refusal the save answered for it (then it must not be placed). The caller must not hold
   * anything the other files of the group need to reach here (see Slots.without).
   */
  before(copy: WriteToCome): Promise<SyncError | undefined> {
    const saved = new Promise<SyncError | undefined>((resolve, reject) =>
      this.waiting.push({ copy, resolve, reject }),
    );
    this.saveOnceAllWait();
    return saved;
  }

  /** A file of the group is done with: no copy of it will wait for a save any more. */
  done(): void {
    this.going--;
    this.saveOnceAllWait();
  }

  private saveOnceAllWait(): void {
    if (this.waiting.length === 0 || this.waiting.length < this.going) return;
    const batch = this.waiting;
    this.waiting = [];
    this.save(batch.map((w) => w.copy)).then(
      (refused) => {
        for (const w of batch) w.resolve(refused?.get(w.copy.rel));
      },
      (e: unknown) => {
        for (const w of batch) w.reject(e);
      },
    );
  }
}
