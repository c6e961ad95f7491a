// Run by test/stage/unprivileged.ts as an unprivileged user (permission bits bind only then):
// stages or scans with the real engine code and prints what came back as JSON on stdout.
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { stageFile } from '../../src/engine/stage/index.js';
import { StabilityScanner } from '../../src/engine/scan/index.js';

interface Request {
  op: 'stage' | 'scan';
  watchDir: string;
  transitDir?: string;
  rels?: string[];
}

const req = JSON.parse(process.argv[2] ?? '{}') as Request;

async function main(): Promise<unknown> {
  if (req.op === 'scan') {
    const r = await new StabilityScanner({
      watchDir: req.watchDir,
      stableSeconds: 0,
      ignorePatterns: [],
    }).scan();
    return {
      stable: r.stable.map((f) => f.rel).sort(),
      errors: r.errors,
      watchProblem: r.watchProblem ? r.watchProblem.toJSON() : null,
    };
  }
  const out: Record<string, unknown> = {};
  for (const rel of req.rels ?? []) {
    const absPath = join(req.watchDir, ...rel.split('/'));
    const s = await stat(absPath);
    const r = await stageFile({
      watchDir: req.watchDir,
      transitDir: req.transitDir ?? '',
      file: { rel, absPath, size: s.size, mtimeMs: s.mtimeMs },
    });
    out[rel] =
      r.status === 'failed' || r.status === 'blocked' || r.status === 'no-room'
        ? { status: r.status, ...r.error.toJSON() }
        : { status: r.status };
  }
  return out;
}

main().then(
  (r) => process.stdout.write(JSON.stringify(r)),
  (e: unknown) => {
    process.stderr.write(`thrown: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(2);
  },
);
