// Run by real-card.test.ts as the unprivileged user nobody (setpriv): the archive leg places the
// files named in argv[2] (JSON: { root, items }) on a card mounted by root, and prints what it
// reported as JSON.
import { ArchiveTarget } from '../../src/engine/archive/index.js';
import { ArchiveLeg } from '../../src/engine/legs/archive-leg.js';
import type { PlaceItem, PlaceOutcome } from '../../src/engine/legs/leg.js';

const { root, items } = JSON.parse(process.argv[2] ?? '{}') as { root: string; items: PlaceItem[] };
const leg = new ArchiveLeg(new ArchiveTarget({ root, mustBeMountPoint: true }));
const outcomes: PlaceOutcome[] = [];
const blocked = await leg.place(items, { onOutcome: (o) => outcomes.push(o) });
process.stdout.write(
  JSON.stringify({
    blocked: blocked && { code: blocked.code, message: blocked.message },
    outcomes: outcomes.map((o) =>
      o.ok
        ? { rel: o.rel, ok: true, path: o.path }
        : { rel: o.rel, ok: false, message: o.error.message },
    ),
  }),
);
