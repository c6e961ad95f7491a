// A channel delivers an alert to people outside this machine. Each one is small: build it from
// the settings and secrets (or return null when it is not configured), then send. A send that
// fails throws an Error whose message names the cause and never a secret; the dispatcher turns
// it into a visible problem of its own (alert-channel-failing:<id>).
import type { Alert, AlertOrigin } from '../types.js';

export type ChannelId = 'email' | 'webhook' | 'command';

export interface AlertChannel {
  readonly id: ChannelId;
  /** Named in problems and `alert test` output: "email to ops@example.org". */
  readonly label: string;
  send(alert: Alert, origin: AlertOrigin, signal?: AbortSignal): Promise<void>;
}
