// A contender for the run lock in its own process, driven line by line over stdin so that a test
// can release several of them at the same instant: "go <configDir>" tries to take the lock and
// answers "won" or "lost <why>"; "release" lets it go and answers "released".
import readline from 'node:readline';
import { acquireRunLock, type RunLock } from '../../src/engine/run-lock.js';

let held: RunLock | null = null;
const rl = readline.createInterface({ input: process.stdin });
process.stdout.write('ready\n');
rl.on('line', (line) => {
  void (async () => {
    if (line.startsWith('go ')) {
      try {
        held = await acquireRunLock(line.slice(3));
        process.stdout.write('won\n');
      } catch (e) {
        process.stdout.write(`lost ${(e as Error).message.split('\n')[0]}\n`);
      }
    } else if (line === 'release') {
      await held?.release();
      held = null;
      process.stdout.write('released\n');
    }
  })();
});
rl.on('close', () => process.exit(0));
