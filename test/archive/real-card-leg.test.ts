// The archive leg passes the destination conformance suite on real exFAT and FAT card file
// systems (FUSE drivers on image files; see helpers.ts CardImage), transit on another file system
// so the bytes are copied, as they are to a card. Pulling the card is a real unmount.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ArchiveTarget } from '../../src/engine/archive/index.js';
import { ArchiveLeg } from '../../src/engine/legs/archive-leg.js';
import { legConformance } from '../legs/conformance.js';
import { cardsUnavailable, mountedCard, type CardFormat } from './helpers.js';

const unavailable = cardsUnavailable();
for (const format of ['exfat', 'fat16', 'fat32'] as CardFormat[]) {
  if (unavailable) continue;
  legConformance(`archive on ${format}`, async () => {
    const m = await mountedCard(format, 64);
    return {
      leg: new ArchiveLeg(new ArchiveTarget({ root: m.dir, mustBeMountPoint: true })),
      transitDir: join(m.base, 'transit'),
      targetPathOf: (rel) => join(m.dir, rel),
      putForeign: async (path, content) => {
        await mkdir(dirname(path), { recursive: true });
        await writeFile(path, content);
      },
      read: async (path) => readFile(path).catch(() => null),
      block: async () => m.card.unmount(),
      blockedCode: 'archive-missing',
      checkSeesBlock: true,
      close: m.done,
    };
  });
}
