// Reads the whole fleet: list + download every heartbeat in the fleet folder, remember which hub
// instances wrote them (to spot two hubs sharing a site name), and build the view. Needs only the
// Dropbox connection and the remote folder template: no watch folder, no site name, so it works
// on a machine that syncs nothing.
import path from 'node:path';
import type { DropboxCredentials } from '../credentials/index.js';
import type { DropboxConnection } from '../dropbox/connection.js';
import { connectSavedDropbox } from '../dropbox/saved-connection.js';
import { readHeartbeatFiles } from './fleet-dropbox.js';
import { fleetFolderFor } from './fleet-folder.js';
import { buildFleetView, STALE_AFTER_INTERVALS, type FleetView } from './fleet-view.js';
import { parseHeartbeat, type Heartbeat } from './heartbeat.js';
import { SeenInstances, type SeenInstance } from './seen-instances.js';

/** What the reader needs from the settings (all of them valid on a machine that syncs nothing). */
export interface FleetReadSettings {
  remoteRootTemplate: string;
  fleetFolder: string;
  dropboxAppKey: string;
  dropboxEndpoint: string;
}

/** Beside the settings: which hub instances this machine has seen writing each site. */
export function seenInstancesFile(configDir: string): string {
  return path.join(configDir, 'fleet-seen.json');
}

/** The fleet reads and writes through the same saved connection as the pass (one rule for the app key). */
export function fleetConnection(
  settings: FleetReadSettings,
  creds: DropboxCredentials,
): DropboxConnection {
  return connectSavedDropbox(settings, creds);
}

export async function readFleet(opts: {
  connection: DropboxConnection;
  settings: FleetReadSettings;
  /** Null: remember nothing between reads (then only a read that sees both hubs flags them). */
  configDir: string | null;
  nowMs: number;
}): Promise<FleetView> {
  const folder = fleetFolderFor(opts.settings.remoteRootTemplate, opts.settings.fleetFolder);
  const { files, folderMissing } = await readHeartbeatFiles(opts.connection, folder);
  const seen = await SeenInstances.open(opts.configDir ? seenInstancesFile(opts.configDir) : null);
  const windows = new Map<string, number>();
  for (const f of files) {
    if (!f.bytes) continue;
    const parsed = parseHeartbeat(f.bytes);
    if (!parsed.ok) continue;
    const site = f.name.replace(/\.json$/i, '');
    seen.note(site, parsed.heartbeat);
    windows.set(site.toLowerCase(), STALE_AFTER_INTERVALS * parsed.heartbeat.intervalMs);
  }
  const view = buildFleetView({
    folder,
    nowMs: opts.nowMs,
    files,
    folderMissing,
    clonesOf: (site, hb) =>
      clonesReported(hb) ?? seen.clonesOf(site, opts.nowMs, windows.get(site.toLowerCase()) ?? 0),
  });
  // Only a memory: a viewer that cannot save it still shows the fleet.
  await seen.save(opts.nowMs).catch(() => undefined);
  return view;
}

/**
 * The writer itself found another hub writing its file (its update conflicted) within its last
 * three intervals: both, the writer first. One read is then enough to flag the pair.
 */
function clonesReported(hb: Heartbeat): SeenInstance[] | null {
  const recent = hb.otherWriters.filter(
    (o) => hb.writtenAtMs - o.seenAtMs <= STALE_AFTER_INTERVALS * hb.intervalMs,
  );
  if (recent.length === 0) return null;
  return [
    {
      instanceId: hb.instanceId,
      host: hb.host,
      startedAtMs: hb.startedAtMs,
      lastWrittenAtMs: hb.writtenAtMs,
    },
    ...recent.map((o) => ({
      instanceId: o.instanceId,
      host: o.host,
      startedAtMs: o.startedAtMs,
      lastWrittenAtMs: o.seenAtMs,
    })),
  ];
}
