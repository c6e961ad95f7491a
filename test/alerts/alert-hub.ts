// A hub's status and alert service as the daemon runs them, on the test's clock: the real
// StatusModel, StatusReducer and AlertService, the passes' ends fed in by the test. Shared by the
// alert tests that follow a leg through its problems (leg-problem-replaced, card-flapping).
import type { AlertServiceDeps } from '../../src/engine/alerts/alert-service.js';
import { AlertService } from '../../src/engine/alerts/alert-service.js';
import type { SyncError } from '../../src/engine/errors.js';
import type { LegId } from '../../src/engine/legs/ids.js';
import type { Clock, Logger } from '../../src/engine/ports.js';
import type { Settings } from '../../src/engine/settings/schema.js';
import { StatusModel } from '../../src/engine/status/model.js';
import { StatusReducer } from '../../src/engine/status/reducer.js';

export const MIN = 60_000;
export const T0 = Date.UTC(2026, 11, 6, 9, 0);
const silent: Logger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export class AlertHub {
  readonly clock: Clock & { wall: number; mono: number };
  readonly status: StatusModel;
  readonly reducer: StatusReducer;
  service!: AlertService;

  constructor(
    readonly configDir: string,
    readonly settings: Settings,
    /** The host name its alerts carry. */
    private readonly host: string,
  ) {
    const c = {
      wall: T0,
      mono: 0,
      now: () => c.wall,
      monotonic: () => c.mono,
      sleep: async () => {},
    };
    this.clock = c;
    this.status = new StatusModel(() => c.wall);
    this.reducer = new StatusReducer(this.status, c, () => 30 * MIN);
  }

  /** Starts the alert service; `onAlert`: what the desktop (the tray's listener) is handed. */
  async start(onAlert?: Parameters<AlertService['onAlert']>[0]): Promise<void> {
    const deps: AlertServiceDeps = {
      configDir: this.configDir,
      status: this.status,
      settings: () => this.settings,
      history: () => [],
      clock: this.clock,
      logger: silent,
      host: this.host,
      tuning: { tickMs: 20, webhookRetry: { attempts: 1, baseMs: 1, timeoutMs: 5_000 } },
    };
    this.service = new AlertService(deps);
    if (onAlert) this.service.onAlert(onAlert);
    await this.service.start();
  }

  /** A pass ends `minutes` after the last, each leg blocked by `blocked` (null: it works). */
  passEnds(
    blocked: Partial<Record<LegId, SyncError | null>>,
    minutes: number,
    pending: number,
  ): void {
    this.clock.wall += minutes * MIN;
    this.clock.mono += minutes * MIN;
    this.reducer.apply({ type: 'pass-ended', blocked, pending, aborted: false });
    this.status.update({ lastPassMs: this.clock.wall, passRunning: false });
  }
}
