// Run by stage-batch-kill.test.ts in a child process that the test SIGKILLs mid-batch: one real
// scan-and-stage step of a pass (pipeline/stage-step.ts with the pass's real dependencies: the
// scanner, concurrent staging, one folder sync shared by the files moved together).
import { join } from 'node:path';
import { buildPassDeps } from '../../src/engine/assemble.js';
import { defaultSettings } from '../../src/engine/settings/defaults.js';
import { Journal } from '../../src/engine/journal/index.js';
import { History } from '../../src/engine/history/index.js';
import { silentLogger, systemClock } from '../../src/engine/ports.js';
import { scanAndStage } from '../../src/engine/pipeline/stage-step.js';
import { newPassMemory } from '../../src/engine/pipeline/pass.js';

const [root] = process.argv.slice(2);
if (!root) throw new Error('usage: stage-batch-script.ts <root>');
const settings = {
  ...defaultSettings(root),
  watchDir: join(root, 'watch'),
  transitDir: join(root, 'transit'),
  stableSeconds: 0,
  archiveEnabled: false,
};
const deps = buildPassDeps(settings, {
  remote: null,
  journal: await Journal.open(join(root, 'journal.json')),
  history: await History.open(join(root, 'history.jsonl'), 100),
  emit: () => {},
  clock: systemClock,
  logger: silentLogger,
});
const r = await scanAndStage(deps, newPassMemory());
process.stdout.write(JSON.stringify(r));
