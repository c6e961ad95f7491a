// A hub's service as another user runs it (nobody here, by setpriv): its own watch, transit and
// archive folders in its home, set up by `rdl-sync settings set` as that user, and the real
// `rdl-sync run` through bin/. For the tests of what root's commands say and do beside it.
import { spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { NOBODY } from '../stage/unprivileged.js';
import { readPublishedStatus, runCli, spawnCli, waitFor, type CliEnv } from './cli-harness.js';

export interface HubUserService {
  daemon: ChildProcess;
  pid: number;
  /** Its settings folder: `configDir` when given, else its home's .config/rdl-sync. */
  configDir: string;
  /** How to run a command as that user, with its environment. */
  env: CliEnv;
}

/**
 * Starts it; `configDir` names its settings folder with --config-dir (else none, as on a hub).
 * `piHome`'s parents must be reachable by nobody (a mkdtemp folder is 0700: chmod it 0755).
 */
export async function startHubUserService(
  piHome: string,
  configDir?: string,
): Promise<HubUserService> {
  for (const dir of ['watch', 'transit', 'archive'])
    await fs.mkdir(path.join(piHome, dir), { recursive: true });
  spawnSync('chown', ['-R', `${NOBODY}:${NOBODY}`, piHome]);
  const env: CliEnv = { home: piHome, asUid: NOBODY, extraEnv: { RDL_SYNC_CONFIG_DIR: '' } };
  const named = configDir === undefined ? [] : ['--config-dir', configDir];
  const setUp = await runCli(
    [
      'settings',
      'set',
      'watchDir',
      path.join(piHome, 'watch'),
      'transitDir',
      path.join(piHome, 'transit'),
      'archiveDir',
      path.join(piHome, 'archive'),
      'archiveMustBeMountPoint',
      'false',
      'site',
      'Site7_Farm',
      ...named,
    ],
    env,
  );
  if (setUp.code !== 0) throw new Error(`settings set as nobody: ${setUp.stdout}${setUp.stderr}`);
  const settingsDir = configDir ?? path.join(piHome, '.config', 'rdl-sync');
  const daemon = spawnCli(['run', ...named], env, true);
  const { pid } = await waitFor('the hub user daemon to publish its status', async () => {
    if (daemon.exitCode !== null) throw new Error('the hub user daemon exited');
    const s = await readPublishedStatus(settingsDir);
    return s !== null && s.pid === daemon.pid ? { pid: s.pid } : null;
  });
  return { daemon, pid, configDir: settingsDir, env };
}
