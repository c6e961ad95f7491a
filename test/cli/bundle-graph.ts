// What a bundle built by scripts/build.mjs loads at start: the entry file and every chunk it
// imports statically (esbuild writes `import ... from "./chunk.mjs"` or `import "./chunk.mjs"` at
// the top level). A chunk reached only through `import("./chunk.mjs")` is compiled only when that
// code runs.
import fs from 'node:fs';
import path from 'node:path';

export function staticGraph(dir: string, entry: string): Set<string> {
  const seen = new Set<string>();
  const walk = (file: string): void => {
    if (seen.has(file)) return;
    seen.add(file);
    const text = fs.readFileSync(path.join(dir, file), 'utf8');
    for (const m of text.matchAll(/^(?:import|export)\b(?!\s*\()[^;]*?"\.\/([^"]+)"/gms))
      walk(m[1]!);
  };
  walk(entry);
  return seen;
}

/** The .mjs files of `dir` whose text holds `marker` (esbuild heads each module with its path). */
export function chunksWith(dir: string, marker: string): string[] {
  return fs
    .readdirSync(dir)
    .filter(
      (f) => f.endsWith('.mjs') && fs.readFileSync(path.join(dir, f), 'utf8').includes(marker),
    );
}
