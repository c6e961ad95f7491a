// /__admin/<action>: the in-process controls over HTTP, for an emulator in another process
// (CLI, crash tests). Every action needs the admin token as a Bearer token.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseFaultRule } from '../faults.js';
import { dropboxJson } from '../json.js';
import type { Emulator } from '../controls.js';

function num(body: Record<string, unknown>, key: string): number | undefined {
  const v = body[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    throw new Error(`"${key}" must be a non-negative number`);
  }
  return v;
}

const DONE = { ok: true };

/** Runs one admin action; throws an Error whose message names the fix for bad input. */
export function runAdminAction(emu: Emulator, action: string, raw: unknown): unknown {
  const body = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const actions: Record<string, () => unknown> = {
    fault: () => (emu.addFault(parseFaultRule(raw)), DONE),
    'clear-faults': () => (emu.clearFaults(), DONE),
    quota: () => {
      const bytes = num(body, 'bytes');
      if (bytes === undefined) throw new Error('quota needs {"bytes": N}');
      emu.setQuota(bytes);
      return DONE;
    },
    shape: () => {
      emu.shapeLink({
        latencyMs: num(body, 'latencyMs'),
        bytesPerSecond: num(body, 'bytesPerSecond'),
        resetEveryMs: num(body, 'resetEveryMs'),
      });
      return DONE;
    },
    'expire-access-tokens': () => {
      emu.expireAccessTokens({
        afterSeconds: num(body, 'afterSeconds'),
        afterCalls: num(body, 'afterCalls'),
      });
      return DONE;
    },
    'revoke-refresh-token': () => {
      if (typeof body.token !== 'string')
        throw new Error('revoke-refresh-token needs {"token": "..."}');
      emu.revokeRefreshToken(body.token);
      return DONE;
    },
    'issue-refresh-token': () => ({ refresh_token: emu.issueRefreshToken() }),
    'header-limit': () => {
      const bytes = num(body, 'bytes');
      if (bytes === undefined)
        throw new Error('header-limit needs {"bytes": N, "refusal"?: "431"|"400"|"reset"}');
      const refusal = body.refusal;
      if (refusal !== undefined && refusal !== '431' && refusal !== '400' && refusal !== 'reset')
        throw new Error('header-limit "refusal" must be "431", "400" or "reset"');
      emu.setHeaderLimit(bytes, refusal);
      return DONE;
    },
    'reset-link': () => ({ open: emu.resetLink() }),
    stats: () => emu.stats(),
    'link-bytes': () => emu.linkBytes(),
    'reset-stats': () => (emu.resetStats(), DONE),
    'record-timeline': () => (emu.recordTimeline(), DONE),
    timeline: () => {
      if (body.stop !== undefined && typeof body.stop !== 'boolean')
        throw new Error('timeline takes {"stop"?: true|false}');
      return emu.timeline(body.stop === true);
    },
    files: () => emu.listFiles(),
    'file-count': () => {
      if (body.under !== undefined && typeof body.under !== 'string')
        throw new Error('file-count takes {"under"?: "/folder"}');
      const under = typeof body.under === 'string' ? body.under.toLowerCase() : undefined;
      const files = emu.listFiles();
      const count =
        under === undefined
          ? files.length
          : files.filter((f) => f.pathDisplay.toLowerCase().startsWith(`${under}/`)).length;
      return { count };
    },
    'reset-cursors': () => (emu.resetCursors(), DONE),
  };
  const run = actions[action];
  if (!run) {
    throw new Error(
      `unknown admin action "${action}"; use one of ${Object.keys(actions).join(', ')}`,
    );
  }
  return run();
}

/** Answers one /__admin/<action> request. */
export async function handleAdmin(
  req: IncomingMessage,
  res: ServerResponse,
  adminToken: string,
  run: (body: unknown) => unknown,
): Promise<void> {
  const reply = (status: number, value: unknown) => {
    const text = dropboxJson(value);
    res.writeHead(status, {
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
    });
    res.end(text);
  };
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (req.headers.authorization !== `Bearer ${adminToken}`) {
    return reply(401, {
      error: 'admin routes need "Authorization: Bearer <admin token>" (printed at start)',
    });
  }
  if (req.method !== 'POST') return reply(405, { error: 'admin routes take POST' });
  const text = Buffer.concat(chunks).toString('utf8');
  let body: unknown;
  try {
    body = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    return reply(400, { error: 'admin request body must be JSON' });
  }
  try {
    reply(200, run(body) ?? DONE);
  } catch (err) {
    reply(400, { error: (err as Error).message });
  }
}
