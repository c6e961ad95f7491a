// Injected faults: each rule hits a number of matching requests, optionally after skipping some.

export type FaultKind =
  | 'too_many_requests'
  | 'too_many_requests_text'
  | 'too_many_write_operations'
  | 'server_error'
  | 'reset_mid_body'
  | 'drop_response'
  | 'insufficient_space'
  /** Commit routes find the namespace lock taken: too_many_write_operations, no Retry-After. */
  | 'lock_contention'
  /** 403 invalid_account_type/feature with Dropbox's user_message (team over its monthly limit). */
  | 'transport_limit'
  /** 401 missing_scope naming `requiredScope` (default files.content.write). */
  | 'missing_scope'
  /** The request is applied, then answered with an empty-body 503 (finish has done this). */
  | 'unavailable_after_apply'
  /** Commits answer encryption_not_supported (a team's end-to-end encrypted folder). */
  | 'encryption_not_supported';

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
  /** server_error: no Retry-After header even on a 503. */
  noRetryAfter?: boolean;
  /** missing_scope: the scope the route would need. */
  requiredScope?: string;
}

const KINDS: readonly FaultKind[] = [
  'too_many_requests',
  'too_many_requests_text',
  'too_many_write_operations',
  'server_error',
  'reset_mid_body',
  'drop_response',
  'insufficient_space',
  'lock_contention',
  'transport_limit',
  'missing_scope',
  'unavailable_after_apply',
  'encryption_not_supported',
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
  if (v.noRetryAfter !== undefined && typeof v.noRetryAfter !== 'boolean') {
    throw new Error('fault rule "noRetryAfter" must be true or false');
  }
  if (v.requiredScope !== undefined && typeof v.requiredScope !== 'string') {
    throw new Error(
      'fault rule "requiredScope" must be a scope name such as "files.content.write"',
    );
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
