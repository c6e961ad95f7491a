// `settings set smtpHost smtp.example.org:587` was saved, and every alert email then failed on a
// host that cannot be looked up (the port is smtpPort); a scheme, a space, a line break in the user
// the same. Refused where typed, with the fix, the file untouched. Real CLI processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { makeDirs } from '../engine/harness.js';
import { runCli } from './cli-harness.js';

/** A site set up by `settings set` in a fresh folder; `before`: its settings file then. */
async function withSite(
  prefix: string,
  run: (site: {
    set: (...pairs: string[]) => ReturnType<typeof runCli>;
    file: string;
    before: string;
  }) => Promise<void>,
): Promise<void> {
  const dirs = await makeDirs(prefix);
  try {
    const env = { home: dirs.root };
    const set = (...pairs: string[]) =>
      runCli(['settings', 'set', ...pairs, '--config-dir', dirs.configDir], env);
    const base = await set(
      ...['watchDir', dirs.watchDir, 'transitDir', dirs.transitDir, 'site', 'Site7_Farm'],
      ...['archiveDir', dirs.archiveDir, 'archiveMustBeMountPoint', 'false'],
    );
    assert.equal(base.code, 0, base.stdout + base.stderr);
    const file = path.join(dirs.configDir, 'config.json');
    await run({ set, file, before: await fs.readFile(file, 'utf8') });
  } finally {
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
}

test('settings set refuses an SMTP server or user that cannot work, naming the fix; nothing saved', async () => {
  await withSite('rdl-cli-smtp-words-', async ({ set, file, before }) => {
    const port = await set('smtpHost', 'smtp.example.org:587');
    assert.equal(port.code, 2, port.stdout);
    assert.match(
      port.stdout,
      /^ {2}- smtpHost: SMTP server is a host name alone: set smtpHost smtp\.example\.org smtpPort 587 \(got "smtp\.example\.org:587"\)$/m,
    );
    const user = await set('smtpHost', 'smtp.example.org', 'smtpUser', 'apikey\nX: y');
    assert.equal(user.code, 2, user.stdout);
    assert.match(user.stdout, /smtpUser: SMTP user name cannot hold a line break/);
    assert.equal(await fs.readFile(file, 'utf8'), before, 'nothing saved');

    const good = await set('smtpHost', 'smtp.example.org', 'smtpPort', '587');
    assert.equal(good.code, 0, good.stdout + good.stderr);
  });
});

// An alert command that cannot be run was saved without a word: only `alert test`, or the first
// real alert, found out. It is still saved (it may be installed next), with a note.
test('an alert command that does not exist or cannot be run is saved with a note', async () => {
  const dirs = await makeDirs('rdl-cli-alert-command-');
  try {
    const env = { home: dirs.root };
    const set = (...pairs: string[]) =>
      runCli(['settings', 'set', ...pairs, '--config-dir', dirs.configDir], env);
    await set(
      ...['watchDir', dirs.watchDir, 'transitDir', dirs.transitDir, 'site', 'Site7_Farm'],
      ...['archiveDir', dirs.archiveDir, 'archiveMustBeMountPoint', 'false'],
    );
    const missing = path.join(dirs.root, 'page-me');
    const gone = await set('alertCommand', missing);
    assert.equal(gone.code, 0, gone.stdout + gone.stderr);
    assert.ok(
      gone.stdout.includes(
        `Note: the alert command ${missing} does not exist now: alerts by command fail until it is installed there; rdl-sync alert test tries it.`,
      ),
      gone.stdout,
    );
    await fs.writeFile(missing, '#!/bin/sh\ncat >/dev/null\n', { mode: 0o644 });
    const plain = await set('alertCommand', missing);
    assert.match(plain.stdout, /is not executable by this user now: .*\(chmod \+x\)/);
    await fs.chmod(missing, 0o755);
    const ready = await set('alertCommand', missing);
    assert.doesNotMatch(ready.stdout, /Note:/);

    // With arguments (as typed in a shell): the program is there; the line is not a file name.
    // It was said "does not exist now: … until it is installed there", and alert test failed
    // with "could not start (ENOENT)" only.
    const line = `${missing} --urgent`;
    const words = `alertCommand is one program, run as it is without a shell, so "${line}" is taken as a file name, and there is no such file (${missing} is there, but arguments cannot be given in this setting): put the command line in a small script and set alertCommand to that script`;
    const args = await set('alertCommand', line);
    assert.equal(args.code, 0, args.stdout + args.stderr);
    assert.ok(args.stdout.includes(`Note: ${words}; rdl-sync alert test tries it.`), args.stdout);
    assert.doesNotMatch(args.stdout, /installed there/);
    const tried = await runCli(['alert', 'test', '--config-dir', dirs.configDir], env);
    assert.equal(tried.code, 1, tried.stdout + tried.stderr);
    assert.ok(
      tried.stdout.includes(`could not start (ENOENT): ${words}`),
      tried.stdout + tried.stderr,
    );
  } finally {
    await fs.rm(dirs.root, { recursive: true, force: true });
  }
});

// `settings set fleetFolder /RDL/Site7_Farm/fleet` (the remote folder /RDL/{site}) was saved: the
// heartbeats would have gone into the site's data, so none was ever written, and only the fleet
// view said so much later. Refused where typed, with the fix; an old value does not block others.
test('settings set refuses a fleet folder inside the data folder, naming the fix; nothing saved', async () => {
  await withSite('rdl-cli-fleet-folder-', async ({ set, file, before }) => {
    const inside = await set('fleetFolder', '/RDL/Site7_Farm/fleet');
    assert.equal(inside.code, 2, inside.stdout);
    assert.match(
      inside.stdout,
      /fleetFolder: Heartbeats would go to \/RDL\/Site7_Farm\/fleet, inside this site's data folder \/RDL\/Site7_Farm, and be mixed into its data: leave fleetFolder empty \(beside the site folders\) or choose a folder outside \/RDL\/Site7_Farm/,
    );
    const template = await set('remoteRootTemplate', '/{site}', 'site', '_fleet');
    assert.equal(template.code, 2, template.stdout);
    assert.match(template.stdout, /choose another site name, or set fleetFolder/);
    assert.equal(await fs.readFile(file, 'utf8'), before, 'nothing saved');

    // Written by hand, the old value stays the heartbeat's to report; other settings save.
    const json = JSON.parse(before) as Record<string, unknown>;
    await fs.writeFile(file, JSON.stringify({ ...json, fleetFolder: '/RDL/Site7_Farm/x' }));
    const other = await set('intervalSeconds', '45');
    assert.equal(other.code, 0, other.stdout + other.stderr);
    const fixed = await set('fleetFolder', '/RDL/_hubs');
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
  });
});
