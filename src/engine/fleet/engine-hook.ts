// The engine's one handle on the fleet, so engine.ts needs only a few marked lines: the heartbeat
// runs while the engine is started (daemon, tray), and any engine can read the fleet and the
// activity chart's data.
import { SyncError } from '../errors.js';
import type { History } from '../history/index.js';
import type { BacklogRecorder } from './activity.js';
import { type Activity, hourlyActivity } from './activity.js';
import { HeartbeatService, loadBacklog, type HeartbeatServiceDeps } from './heartbeat-service.js';
import { fleetConnection, readFleet } from './fleet-reader.js';
import type { FleetSnapshot } from './types.js';

export type { FleetSnapshot };

export class FleetHook {
  private service: HeartbeatService | null = null;
  private backlog: BacklogRecorder | null = null;

  constructor(
    private readonly deps: Omit<HeartbeatServiceDeps, 'history'> & {
      history: () => History;
      /** A read-only engine creates nothing: it remembers no hub instances between reads. */
      readOnly?: boolean;
    },
  ) {}

  private allHistory = () => {
    const h = this.deps.history();
    return h.query({ limit: h.count() });
  };

  async start(): Promise<void> {
    if (this.service) return;
    this.service = new HeartbeatService(
      { ...this.deps, history: this.allHistory },
      this.backlogPeaks(),
    );
    await this.service.start();
  }

  async stop(): Promise<void> {
    await this.service?.stop();
  }

  /** See HeartbeatService.settingsChanged. */
  settingsChanged(): void {
    this.service?.settingsChanged();
  }

  activity(): Activity {
    return this.service
      ? this.service.activity()
      : hourlyActivity(this.allHistory(), this.deps.clock.now(), this.backlogPeaks().get());
  }

  /** Read once from the file the heartbeat keeps, whether or not this engine is started. */
  private backlogPeaks(): BacklogRecorder {
    this.backlog ??= loadBacklog(this.deps.configDir, this.deps.clock.now());
    return this.backlog;
  }

  async read(): Promise<FleetSnapshot> {
    const settings = this.deps.settings();
    const creds = await this.deps.credentials();
    if (!creds) {
      throw new SyncError({
        kind: 'blocked',
        code: 'auth-missing',
        message:
          'Not connected to Dropbox: connect (Settings tab, or rdl-sync auth) to read the fleet’s heartbeats',
      });
    }
    const view = await readFleet({
      connection: fleetConnection(settings, creds),
      settings,
      configDir: this.deps.readOnly ? null : this.deps.configDir,
      nowMs: this.deps.clock.now(),
    });
    return { ...view, ownBeat: this.service?.last ?? null };
  }
}
