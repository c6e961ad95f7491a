// Where the engine's CPU goes, by phase: a sampling CPU profile of this process (node:inspector),
// each sample charged to the innermost engine module on its stack (scan, stage, upload, archive,
// journal, ...). fsutil helpers are charged to the module that called them. Only the main
// thread's JavaScript and the system calls it makes inline are sampled; file-system work run
// on libuv's thread pool shows only in the process's total CPU (printed beside).
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Engine folders and the phase their samples are charged to. */
const PHASE_OF_DIR: Record<string, string> = {
  scan: 'scan',
  stage: 'stage',
  dropbox: 'upload',
  archive: 'archive',
  journal: 'journal',
  history: 'history',
  status: 'status',
  log: 'log',
  pipeline: 'pipeline',
  health: 'health',
  disks: 'disks',
};

/** The leg adapters (src/engine/legs) are charged to their leg's phase. */
const PHASE_OF_LEG_FILE: Record<string, string> = {
  'archive-leg.ts': 'archive',
  'dropbox-leg.ts': 'upload',
};

function phaseOfFrame(url: string, functionName: string): string | undefined {
  if (functionName === '(garbage collector)') return 'gc';
  if (url.includes('/node_modules/dropbox/')) return 'upload';
  const leg = /\/src\/engine\/legs\/([^/]+)$/.exec(url)?.[1];
  if (leg !== undefined && PHASE_OF_LEG_FILE[leg]) return PHASE_OF_LEG_FILE[leg];
  const m = /\/src\/engine\/([^/]+)\//.exec(url);
  if (m?.[1] === undefined || m[1] === 'fsutil') return undefined;
  return PHASE_OF_DIR[m[1]] ?? 'engine (other)';
}

export interface PhaseProfile {
  /** ms of sampled main-thread CPU per phase, largest first; the raw profile to `saveTo` if given. */
  stop(saveTo?: string): Promise<Array<[string, number]>>;
}

export async function profilePhases(): Promise<PhaseProfile> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  return {
    async stop(saveTo) {
      const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: Profile };
      session.disconnect();
      // A .cpuprofile file: Chromium's DevTools and `node --cpu-prof` readers open it.
      if (saveTo !== undefined) await writeFile(saveTo, JSON.stringify(profile));
      const byId = new Map(profile.nodes.map((n) => [n.id, n]));
      const parent = new Map<number, number>();
      for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
      const phaseOfNode = new Map<number, string>();
      const phaseOf = (id: number): string => {
        const known = phaseOfNode.get(id);
        if (known !== undefined) return known;
        const n = byId.get(id);
        let phase: string;
        if (!n) phase = 'other';
        else if (n.callFrame.functionName === '(idle)') phase = 'idle';
        else {
          const own = phaseOfFrame(n.callFrame.url, n.callFrame.functionName);
          const up = parent.get(id);
          phase = own ?? (up === undefined ? 'node, event loop, other' : phaseOf(up));
          if (phase === 'root') phase = 'node, event loop, other';
        }
        phaseOfNode.set(id, phase);
        return phase;
      };
      const totals = new Map<string, number>();
      profile.samples.forEach((id, i) => {
        const phase = phaseOf(id);
        if (phase === 'idle') return;
        totals.set(phase, (totals.get(phase) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
      });
      return [...totals].sort((a, b) => b[1] - a[1]);
    },
  };
}

/** "scan 0.05, stage 0.12, ..." in ms per file. */
export function formatPhases(phases: Array<[string, number]>, files: number): string {
  return phases
    .filter(([, ms]) => ms / files >= 0.005)
    .map(([p, ms]) => `${p} ${(ms / files).toFixed(3)}`)
    .join(', ');
}
