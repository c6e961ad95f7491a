// Run by real-card.test.ts as the unprivileged user nobody (setpriv): the archive leg places the
// files named in argv[2] (JSON: { root, items, card }) on a card mounted by root (`card` false: an
// archive folder on that disk), and prints what it reported, and the warnings it logged, as JSON.
import { ArchiveTarget } from '../../src/engine/archive/index.js';
import { ArchiveLeg } from '../../src/engine/legs/archive-leg.js';
import type { PlaceItem, PlaceOutcome } from '../../src/engine/legs/leg.js';

const {
  root,
  items,
  card = true,
} = JSON.parse(process.argv[2] ?? '{}') as { root: string; items: PlaceItem[]; card?: boolean };
const warnings: string[] = [];
const quiet = () => {};
const logger = { debug: quiet, info: quiet, error: quiet, warn: (m: string) => warnings.push(m) };
const leg = new ArchiveLeg(new ArchiveTarget({ root, mustBeMountPoint: card, logger }));
const outcomes: PlaceOutcome[] = [];
const blocked = await leg.place(items, { onOutcome: (o) => outcomes.push(o) });
process.stdout.write(
  JSON.stringify({
    blocked: blocked && { code: blocked.code, message: blocked.message },
    warnings,
    outcomes: outcomes.map((o) =>
      o.ok
        ? { rel: o.rel, ok: true, path: o.path }
        : { rel: o.rel, ok: false, message: o.error.message },
    ),
  }),
);
