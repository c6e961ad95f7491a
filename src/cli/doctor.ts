// `rdl-sync doctor`: checks the connected Dropbox account with a short, safe probe in a scratch
// folder (see src/engine/dropbox/doctor.ts) and prints what it found. Without a network it says
// so plainly and changes nothing.
import { existsSync } from 'node:fs';
import {
  connectSavedDropbox,
  dropboxRoute,
  FileCredentialStore,
  loadCronCheck,
  openSettingsService,
  renderRemoteRoot,
  runDoctor,
  withoutRetryWords,
} from '../engine/index.js';
import type { CliContext, CommandSpec } from './context.js';

const MARK = { ok: 'ok     ', problem: 'PROBLEM', info: 'info   ' } as const;

export const doctor: CommandSpec = { run: runDoctorCommand };

async function runDoctorCommand(ctx: CliContext): Promise<number> {
  const say = (text: string): void => {
    ctx.out.write(`${text}\n`);
  };
  await loadCronCheck();
  const store = openSettingsService({ configDir: ctx.configDir });
  const loaded = store.load();
  store.close();
  if (!loaded.ok) {
    say(
      existsSync(store.path)
        ? `The settings in ${store.path} need fixing first (see \`rdl-sync settings\`).`
        : 'RDL Sync is not set up yet: set it up first (rdl-sync settings set site SITE archiveDir DIR dropboxAppKey KEY, or rdl-sync import-legacy), then connect with rdl-sync auth.',
    );
    return 2;
  }
  const s = loaded.settings;
  // A saved connection this command cannot use (damaged, or only the tray app's keyring copy)
  // is named with its fix, not reported as "not connected".
  let creds;
  try {
    creds = await new FileCredentialStore(ctx.configDir).load();
  } catch (e) {
    say(`${(e as Error).message}.`);
    return 2;
  }
  if (!creds) {
    say('RDL Sync is not connected to Dropbox: run `rdl-sync auth` first.');
    return 2;
  }
  const remoteRoot = renderRemoteRoot(s.remoteRootTemplate, { site: s.site });
  // The app key falls back to the settings' as the engine's own connection does.
  const connection = connectSavedDropbox(s, creds);
  say(`Checking the Dropbox account in a scratch folder under ${remoteRoot || '/'} ...`);
  // How the requests go: a proxy is the first thing to know of when Dropbox cannot be reached.
  const route = dropboxRoute(s.dropboxEndpoint);
  // The environment of this shell, which may not be the service's (its unit names its own).
  say(
    `  ${MARK.info}  network: ${route.words} (as this command runs; the service has its unit's environment)`,
  );
  const report = await runDoctor(connection, remoteRoot, ctx.stopSignal);
  if (ctx.stopSignal.aborted) {
    // The probe's findings are cut short: only what became of the scratch folder is news.
    const cleanup = report.checks.find((c) => c.name === 'clean up');
    say(
      cleanup?.result === 'problem'
        ? `Interrupted: ${cleanup.detail}; the next rdl-sync doctor removes it.`
        : 'Interrupted: nothing of the check is left in Dropbox.',
    );
    return 130;
  }
  if (!report.reached) {
    // The cause and where to look, as the daemon's status names them (refused at 127.0.0.1:8050,
    // no route, no name): "no network connection, or Dropbox is down" sent a technician looking
    // at the cable when the firewall or the endpoint setting was at fault.
    say(
      route.proxied && report.unreachedWhy
        ? `${withoutRetryWords(report.unreachedWhy).replace(/; files wait safely in transit$/, '')}. The check needs Dropbox; nothing was changed.`
        : report.unreachedDetail
          ? `Dropbox could not be reached: ${report.unreachedDetail}. The check needs Dropbox; nothing was changed.`
          : 'Dropbox could not be reached (no network connection, or Dropbox is down): the check needs the network. Nothing was changed.',
    );
    return 1;
  }
  for (const c of report.checks) say(`  ${MARK[c.result]}  ${c.name}: ${c.detail}`);
  const problems = report.checks.filter((c) => c.result === 'problem').length;
  // Of Dropbox alone: "No problems found." beside an SD card that did not answer was read as
  // the whole hub's health (hands-on trial).
  say(
    problems === 0
      ? 'No problems found with Dropbox. (rdl-sync status tells of the SD card, the folders and the loggers.)'
      : `${problems} problem(s) found with Dropbox.`,
  );
  ctx.logger.info('doctor ran', {
    checks: report.checks.map((c) => `${c.name}: ${c.result}`),
  });
  return problems === 0 ? 0 : 1;
}
