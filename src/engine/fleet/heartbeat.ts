// The heartbeat: one small JSON file a hub keeps overwriting in the fleet folder, so any machine
// on the same Dropbox can see every site's health without a server. Versioned: a reader accepts
// newer versions as long as the fields it knows still have their meaning (new fields are added,
// never repurposed), and says which file it could not read and why.
import * as z from 'zod';
import { whereJsonInvalid } from '../json-mistake.js';
import { sentenceAsText } from '../status/sentence.js';
import type { StatusSnapshot } from '../status/types.js';
import type { Activity } from './activity-types.js';

export const HEARTBEAT_SCHEMA_VERSION = 1;
/** A heartbeat is a few kB; anything far bigger is not one of ours. */
export const HEARTBEAT_MAX_BYTES = 256 * 1024;

/**
 * Built at the first heartbeat read, not when the engine loads: about 55 zod schema
 * constructions that `rdl-sync once` (no heartbeat) ran before its first Dropbox request.
 */
function buildHeartbeatSchema() {
  const problemSchema = z.object({
    id: z.string(),
    code: z.string(),
    severity: z.enum(['attention', 'error']),
    message: z.string(),
    sinceMs: z.number(),
  });

  return z.object({
    schemaVersion: z.number().int().min(1),
    appVersion: z.string(),
    site: z.string(),
    host: z.string(),
    /** Random per engine start: two ids alive at once for one site means two hubs share the name. */
    instanceId: z.string().min(1),
    startedAtMs: z.number(),
    uptimeSeconds: z.number(),
    writtenAtMs: z.number(),
    /** The writer's heartbeat interval: it is stale after three of them. */
    intervalMs: z.number().positive(),
    state: z.string(),
    sentence: z.string(),
    counts: z.object({
      waiting: z.number(),
      transit: z.number(),
      uploadPending: z.number(),
      archivePending: z.number(),
      failed: z.number(),
      doneThisRun: z.number(),
    }),
    lastSuccessMs: z.number().nullable(),
    sources: z.array(
      z.object({
        source: z.string(),
        lastFileMs: z.number(),
        lastFileRel: z.string(),
        silent: z.boolean(),
      }),
    ),
    disks: z.array(
      z.object({
        path: z.string(),
        roles: z.array(z.string()),
        freeBytes: z.number(),
        totalBytes: z.number(),
        usedPercent: z.number(),
      }),
    ),
    problems: z.array(problemSchema),
    lastError: z.object({ message: z.string(), atMs: z.number() }).nullable(),
    /**
     * Other hubs found writing this same file (a cloned image kept the site name): seen when this
     * hub's update of its own revision conflicted. Empty when it is the only writer.
     */
    otherWriters: z
      .array(
        z.object({
          instanceId: z.string(),
          host: z.string(),
          startedAtMs: z.number(),
          seenAtMs: z.number(),
        }),
      )
      .default([]),
    hours: z.array(
      z.object({
        startMs: z.number(),
        files: z.number(),
        bytes: z.number(),
        backlog: z.number().nullable(),
      }),
    ),
  });
}

let heartbeatSchema: ReturnType<typeof buildHeartbeatSchema> | undefined;

export type Heartbeat = z.infer<ReturnType<typeof buildHeartbeatSchema>>;

export interface HeartbeatFacts {
  appVersion: string;
  site: string;
  host: string;
  instanceId: string;
  startedAtMs: number;
  nowMs: number;
  intervalMs: number;
  status: StatusSnapshot;
  activity: Activity;
  lastError: { message: string; atMs: number } | null;
  otherWriters?: Heartbeat['otherWriters'];
}

export function buildHeartbeat(f: HeartbeatFacts): Heartbeat {
  const s = f.status;
  return {
    schemaVersion: HEARTBEAT_SCHEMA_VERSION,
    appVersion: f.appVersion,
    site: f.site,
    host: f.host,
    instanceId: f.instanceId,
    startedAtMs: f.startedAtMs,
    uptimeSeconds: Math.max(0, Math.round((f.nowMs - f.startedAtMs) / 1000)),
    writtenAtMs: f.nowMs,
    intervalMs: f.intervalMs,
    state: s.state,
    // Read on another hub's fleet view, far from this hub's tray: a pause names how to resume.
    sentence: sentenceAsText(s),
    counts: { ...s.counts },
    lastSuccessMs: s.lastSuccessMs,
    sources: (s.sources ?? []).map((src) => ({
      source: src.source,
      lastFileMs: src.lastFileMs,
      lastFileRel: src.lastFileRel,
      silent: src.silent,
    })),
    disks: (s.disks ?? []).map((d) => ({
      path: d.path,
      roles: [...d.roles],
      freeBytes: d.freeBytes,
      totalBytes: d.totalBytes,
      usedPercent: d.usedPercent,
    })),
    problems: s.problems.map((p) => ({
      id: p.id,
      code: p.code,
      severity: p.severity,
      message: p.message,
      sinceMs: p.sinceMs,
    })),
    lastError: f.lastError,
    otherWriters: f.otherWriters ?? [],
    hours: f.activity.hours.map((h) => ({ ...h })),
  };
}

export type ParsedHeartbeat = { ok: true; heartbeat: Heartbeat } | { ok: false; reason: string };

/** Reads one heartbeat file's bytes; never throws. */
export function parseHeartbeat(bytes: Uint8Array | string): ParsedHeartbeat {
  const size = typeof bytes === 'string' ? new TextEncoder().encode(bytes).length : bytes.length;
  if (size > HEARTBEAT_MAX_BYTES)
    return { ok: false, reason: `larger than ${HEARTBEAT_MAX_BYTES} bytes: not a heartbeat` };
  const text = typeof bytes === 'string' ? bytes : new TextDecoder().decode(bytes);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // Not JSON.parse's message: it quotes the file's text beside the fault.
    return { ok: false, reason: `not JSON (${whereJsonInvalid(text)})` };
  }
  const checked = (heartbeatSchema ??= buildHeartbeatSchema()).safeParse(raw);
  if (!checked.success) {
    const first = checked.error.issues[0];
    const where = first?.path.length ? first.path.join('.') : 'the file';
    return { ok: false, reason: `not a heartbeat: ${where}: ${first?.message ?? 'invalid'}` };
  }
  return { ok: true, heartbeat: checked.data };
}
