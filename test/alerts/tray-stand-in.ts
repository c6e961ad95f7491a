// The tray app's engine in a process of its own, as src/main/main.ts builds it (follows the
// settings file, publishes status, records itself as the tray app in the run lock) without
// Electron: the lock holder a service on the same hub meets. Argument: the settings folder.
// Says "started" once it syncs (and "runs again" to the alert channels, as the app does);
// SIGTERM stops it as Quit does.
import { createEngine } from '../../src/engine/index.js';

const configDir = process.argv[2]!;
const engine = await createEngine({
  configDir,
  watchConfig: true,
  publishStatus: true,
  role: 'tray-app',
});
process.once('SIGTERM', () => {
  void engine.stop().then(() => process.exit(0));
});
await engine.start();
// As the tray app does once it syncs: a stop announced before is answered (main.ts).
void engine.alerts.notifyRunningAgain();
process.stdout.write('started\n');
