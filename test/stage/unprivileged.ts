// Permission bits do not bind root, so the permission cases run the engine code in a child
// process as the unprivileged user nobody (65534), through setpriv.
import { spawnSync } from 'node:child_process';
import { chmod, chown, lchown, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export const NOBODY = 65534;

/** Why these tests cannot run here, or null when they can. */
export function cannotDropPrivileges(): string | null {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0) return 'not root: cannot switch to an unprivileged user';
  if (spawnSync('setpriv', ['--version']).status !== 0) return 'setpriv is not installed';
  return null;
}

/** setpriv's arguments that run Node with tsx as nobody, then `args` (a script and its own). */
export function nodeAsNobody(...args: string[]): string[] {
  return [
    `--reuid=${NOBODY}`,
    `--regid=${NOBODY}`,
    '--clear-groups',
    process.execPath,
    '--import',
    'tsx',
    ...args,
  ];
}

/** Give paths to nobody (the tree the child works in). */
export async function giveToNobody(...paths: string[]): Promise<void> {
  for (const p of paths) await chown(p, NOBODY, NOBODY);
}

/**
 * Give a test's whole tree to nobody, as a hub's folders belong to the user `pi` (its root made
 * readable to others, so nobody can reach it through the temp folder).
 */
export async function giveTreeToNobody(root: string): Promise<void> {
  await chmod(root, 0o755);
  for (const e of await readdir(root, { withFileTypes: true, recursive: true }))
    await lchown(join(e.parentPath, e.name), NOBODY, NOBODY);
  await chown(root, NOBODY, NOBODY);
}

/** Run as-nobody-script.ts with `request`; returns its JSON answer. */
export function asNobody<T>(request: object): T {
  const script = new URL('./as-nobody-script.ts', import.meta.url).pathname;
  const r = spawnSync('setpriv', nodeAsNobody(script, JSON.stringify(request)), {
    encoding: 'utf8',
    timeout: 60_000,
    killSignal: 'SIGKILL',
  });
  if (r.status !== 0) {
    throw new Error(`as nobody: exit ${r.status} ${r.signal ?? ''} ${r.stderr}`);
  }
  return JSON.parse(r.stdout) as T;
}
