// `rdl-sync fleet`: every site's heartbeat from the fleet folder on Dropbox, one line per site
// with its state, when it was last heard from (stale in red after three of its intervals), its
// backlog, fullest disk, problems and the last 24 hours as a spark line; hubs that share a site
// name are flagged. Needs only the Dropbox connection and the remote folder setting, so it works
// on a machine that syncs nothing (no watch folder, no site name).
import {
  formatBytes,
  formatUtcMinute,
  printable,
  emptyFleetSentence,
  readFleetAsViewer,
  type FleetSite,
  type FleetView,
} from '../engine/index.js';
import type { CliContext } from './context.js';

const SPARKS = '▁▂▃▄▅▆▇█';
const RED = '\u001b[31m';
const RESET = '\u001b[0m';

export async function runFleetCommand(ctx: CliContext): Promise<number> {
  const say = (text: string): void => void ctx.out.write(`${text}\n`);
  const folder = ctx.values.folder as string | undefined;
  const read = await readFleetAsViewer(
    ctx.configDir,
    Date.now(),
    folder !== undefined ? { fleetFolder: folder } : {},
  );
  if (!read.ok) {
    say(read.reason);
    return 2;
  }
  const { view } = read;
  if (ctx.values.json) {
    say(JSON.stringify(view, null, 2));
    return 0;
  }
  const colour = (ctx.out as NodeJS.WriteStream).isTTY === true;
  for (const line of formatFleet(view, colour)) say(line);
  ctx.logger.info('fleet read', {
    folder: view.folder,
    sites: view.sites.length,
    stale: view.sites.filter((s) => s.stale).length,
  });
  return 0;
}

export function formatFleet(view: FleetView, colour: boolean): string[] {
  const out: string[] = [];
  const read = new Date(view.readAtMs).toISOString().replace('T', ' ').slice(0, 19);
  out.push(`Fleet folder ${view.folder} (read ${read} UTC)`);
  const empty = emptyFleetSentence(view);
  if (empty !== null) {
    out.push(empty);
    return out;
  }
  const rows = view.sites.map((s) =>
    [
      s.site,
      s.stale ? 'STALE' : s.heartbeat.state,
      `${ago(view.readAtMs - s.lastSeenMs)}${s.stale ? ` (stale after ${span(s.staleAfterMs)})` : ''}`,
      String(s.backlog),
      s.fullestDisk
        ? `${Math.round(s.fullestDisk.usedPercent)} % used, ${formatBytes(s.fullestDisk.freeBytes)} free`
        : '—',
      String(s.heartbeat.problems.length),
      spark(s, view.readAtMs),
      // Another hub's words (site names, messages quoting file names): one line each here too.
    ].map(printable),
  );
  const head = ['SITE', 'STATE', 'LAST SEEN', 'BACKLOG', 'DISK', 'PROBLEMS', 'LAST 24 H'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  out.push(line(head));
  view.sites.forEach((s, i) => {
    const text = line(rows[i]!);
    out.push(s.stale && colour ? `${RED}${text}${RESET}` : text);
  });
  for (const s of view.sites) {
    const hb = s.heartbeat;
    const details: string[] = [];
    if (s.clones) {
      details.push(
        `TWO HUBS WRITE THIS SITE NAME (a cloned SD image?): ${s.clones
          .map((c) => `host ${c.host} (instance ${c.instanceId.slice(0, 8)})`)
          .join(' and ')}; give each hub its own site name (rdl-sync settings set site NAME)`,
      );
    }
    // Silent: what it said last is old news, and the person's question is why it went quiet.
    if (s.stale)
      details.push(
        `not heard from since ${formatUtcMinute(s.lastSeenMs)} (${span(view.readAtMs - s.lastSeenMs)}): its backlog, disk and problems are as of then. Check that the hub is powered and online; on it, systemctl status rdl-sync`,
      );
    if (hb.state === 'paused') details.push(hb.sentence);
    if (s.newerFormat)
      details.push(
        `written by a newer RDL Sync (heartbeat format ${hb.schemaVersion}, version ${hb.appVersion}): some of it may not be shown; update RDL Sync on this machine`,
      );
    for (const p of hb.problems)
      details.push(`${p.severity === 'error' ? 'stopped' : 'attention'}: ${p.message}`);
    if (hb.lastError) details.push(`last error: ${hb.lastError.message}`);
    if (details.length === 0) continue;
    out.push('');
    out.push(
      // Uptime as the heartbeat said it: read later ("last seen 6 min ago"), a bare "up 5 s" read
      // as the hub's uptime now.
      printable(
        `${s.site} (${hb.host}, version ${hb.appVersion}, up ${span(hb.uptimeSeconds * 1000)} at its last heartbeat):`,
      ),
    );
    for (const d of details) out.push(`  - ${printable(d)}`);
  }
  for (const u of view.unreadable) out.push(printable(`Unreadable: ${u.path}: ${u.reason}`));
  return out;
}

const HOUR_MS = 3_600_000;

/**
 * Files per hour over the 24 hours before `nowMs`, oldest first. The heartbeat's own hours end at
 * its writing: a site silent for days showed its last day's activity as today's.
 */
function spark(s: FleetSite, nowMs: number): string {
  const byHour = new Map(s.heartbeat.hours.map((h) => [h.startMs, h.files]));
  const thisHour = Math.floor(nowMs / HOUR_MS) * HOUR_MS;
  const counts = Array.from(
    { length: 24 },
    (_, i) => byHour.get(thisHour - (23 - i) * HOUR_MS) ?? 0,
  );
  const max = Math.max(0, ...counts);
  if (max === 0) return `${'·'.repeat(counts.length)} 0 files`;
  const total = counts.reduce((a, b) => a + b, 0);
  return `${counts
    .map((n) =>
      n === 0 ? '·' : SPARKS[Math.min(SPARKS.length - 1, Math.ceil((n / max) * SPARKS.length) - 1)],
    )
    .join('')} ${total} files`;
}

function ago(ms: number): string {
  return ms < 0 ? `in ${span(-ms)} (clock ahead)` : `${span(ms)} ago`;
}

function span(ms: number): string {
  const s = Math.round(Math.max(0, ms) / 1000);
  if (s < 90) return `${s} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${Math.round(s / 3600)} h`;
  return `${Math.round(s / 86_400)} days`;
}
