// The demo's settings, shared by the headless demo (scripts/demo.ts) and the tray app's
// "Try the demo" (src/main/demo-mode.ts), so both show the same job: fast passes, a plain folder
// standing in for the SD card, and the local emulator in place of Dropbox.
import type { Settings } from '../../src/engine/settings/schema.js';

export const DEMO_SITE = 'DemoLake';
export const DEMO_REMOTE_ROOT = `/Professional/WIRED/${DEMO_SITE}`;

export function demoSettings(
  folders: { watch: string; transit: string; archive: string },
  emulator: { appKey: string; url: string },
): Partial<Settings> {
  return {
    watchDir: folders.watch,
    transitDir: folders.transit,
    archiveDir: folders.archive,
    // A plain folder stands in for the card here; on a real box this stays on.
    archiveMustBeMountPoint: false,
    site: DEMO_SITE,
    remoteRootTemplate: '/Professional/WIRED/{site}',
    intervalSeconds: 2,
    stableSeconds: 1,
    chunkSizeMiB: 4,
    dropboxAppKey: emulator.appKey,
    dropboxEndpoint: emulator.url,
  };
}
