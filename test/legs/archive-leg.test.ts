// The archive leg passes the destination conformance suite on a real tmpfs "card" (a real mount
// point; pulling it is a real unmount), with transit on another file system so bytes are copied.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ArchiveTarget } from '../../src/engine/archive/index.js';
import { ArchiveLeg } from '../../src/engine/legs/archive-leg.js';
import { mountTmpfs, removeDir, tempDir, unmount } from '../archive/helpers.js';
import { legConformance } from './conformance.js';

legConformance('archive', async () => {
  const dir = await tempDir('rdl-leg-card-');
  const card = join(dir, 'card');
  await mkdir(card);
  mountTmpfs(card, 32 * 1024);
  return {
    leg: new ArchiveLeg(new ArchiveTarget({ root: card, mustBeMountPoint: true })),
    transitDir: join(dir, 'transit'),
    targetPathOf: (rel) => join(card, rel),
    putForeign: async (path, content) => {
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, content);
    },
    read: async (path) => readFile(path).catch(() => null),
    block: async () => unmount(card),
    blockedCode: 'archive-missing',
    checkSeesBlock: true,
    close: async () => {
      unmount(card);
      await removeDir(dir);
    },
  };
});
