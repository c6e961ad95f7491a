// Injected faults: each rule hits a number of matching requests, optionally after skipping some.

export type FaultKind =
  | 'too_many_requests'
  | 'too_many_requests_text'
  | 'too_many_write_operations'
  | 'server_error'
  | 'reset_mid_body'
  | 'drop_response'
  | 'insufficient_space';

export interface FaultRule {
  /** e.g. 'files/upload_session/append_v2' or 'oauth2/token'; default any route. */
  route?: string;
  kind: FaultKind;
  /** How many matching requests it hits (default 1). */
  times?: number;
  /** Default 1. */
  retryAfterSeconds?: number;
  status?: number;
  /** Skip this many matching requests first (default 0). */
  afterCalls?: number;
}

const KINDS: readonly FaultKind[] = [
  'too_many_requests',
  'too_many_requests_text',
  'too_many_write_operations',
  'server_error',
  'reset_mid_body',
  'drop_response',
  'insufficient_space',
];

/** Checks a rule that arrived as JSON (admin HTTP, CLI); throws a message naming the fix. */
export function parseFaultRule(value: unknown): FaultRule {
  if (typeof value !== 'object' || value === null) {
    throw new Error('fault rule must be a JSON object like {"kind":"server_error"}');
  }
  const v = value as Record<string, unknown>;
  if (!KINDS.includes(v.kind as FaultKind)) {
    throw new Error(
      `fault rule "kind" must be one of ${KINDS.join(', ')}; got ${JSON.stringify(v.kind)}`,
    );
  }
  for (const key of ['times', 'retryAfterSeconds', 'status', 'afterCalls'] as const) {
    if (
      v[key] !== undefined &&
      (typeof v[key] !== 'number' || !Number.isInteger(v[key]) || v[key] < 0)
    ) {
      throw new Error(`fault rule "${key}" must be a non-negative integer`);
    }
  }
  if (v.route !== undefined && typeof v.route !== 'string') {
    throw new Error('fault rule "route" must be a string such as "files/upload"');
  }
  return v as unknown as FaultRule;
}

interface ActiveRule {
  rule: FaultRule;
  skipLeft: number;
  hitsLeft: number;
}

export class FaultPlan {
  private rules: ActiveRule[] = [];

  add(rule: FaultRule): void {
    this.rules.push({ rule, skipLeft: rule.afterCalls ?? 0, hitsLeft: rule.times ?? 1 });
  }

  clear(): void {
    this.rules = [];
  }

  /** The fault for this request, if any. Every matching rule counts the request. */
  take(route: string): FaultRule | undefined {
    let hit: FaultRule | undefined;
    for (const active of this.rules) {
      if (active.rule.route !== undefined && active.rule.route !== route) continue;
      if (active.hitsLeft <= 0) continue;
      if (active.skipLeft > 0) {
        active.skipLeft--;
        continue;
      }
      if (hit) continue;
      active.hitsLeft--;
      hit = active.rule;
    }
    this.rules = this.rules.filter((a) => a.hitsLeft > 0);
    return hit;
  }
}
