// `rdl-sync alert test | secret NAME` and `rdl-sync report [--send] [--json]` (issue 10). The
// alert service itself lives in the engine; these only call it and print.
import { existsSync } from 'node:fs';
import {
  ALERT_SECRET_NAMES,
  AlertSecretStore,
  CHANNEL_FAILING_PREFIX,
  closestWord,
  createEngine,
  liveLockOwner,
  readStatusFile,
  type AlertSecretName,
  type Engine,
} from '../engine/index.js';
import { LOOK_CARD_ANSWER_MS, type CliContext, type CommandSpec } from './context.js';

const NO_CHANNEL =
  'No alert channel is set up: set alertEmailTo (with smtpHost, alertEmailFrom), alertWebhookFormat (with rdl-sync alert secret webhook-url) or alertCommand.';

function say(ctx: CliContext, text: string): void {
  ctx.out.write(`${text}\n`);
}

/**
 * Beside a running daemon: never takes the run lock, never touches the folders. Its looks at the
 * card (a report's, with no daemon) wait a few seconds, not a pass's 2 minutes.
 */
function sideEngine(ctx: CliContext, readOnly = false): Promise<Engine> {
  return createEngine({
    configDir: ctx.configDir,
    logger: ctx.logger,
    readOnly,
    archiveAnswerMs: LOOK_CARD_ANSWER_MS,
  });
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** One line typed at the terminal with echo off (raw mode), up to Enter; Ctrl-C saves nothing. */
function readHidden(ctx: CliContext, prompt: string): Promise<string> {
  const stdin = process.stdin;
  // Echo off before the prompt invites typing. Before, the prompt went first: keys typed the
  // moment it showed (a paste, a busy hub slow to reach the next line) were echoed, and Ctrl-C
  // killed the command (exit 130) instead of cancelling it.
  stdin.setRawMode(true);
  ctx.out.write(prompt);
  stdin.setEncoding('utf8');
  stdin.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      ctx.out.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const ch of chunk) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') {
          finish();
          return resolve(value.trim());
        }
        if (ch === '\u0003') {
          finish();
          return reject(new Error('cancelled: nothing saved'));
        }
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else value += ch;
      }
    };
    stdin.on('data', onData);
  });
}

export const alert: CommandSpec = {
  async run(ctx) {
    const [action, name] = ctx.positionals;
    if (action === 'secret') {
      if (!ALERT_SECRET_NAMES.includes(name as AlertSecretName)) {
        say(ctx, unknownSecretWords(name));
        return 2;
      }
      // The value given on the command line was ignored, stdin (empty in a script) read instead,
      // and the saved password removed: email alerts broken, the password in the shell history.
      if (ctx.positionals.length > 2) {
        say(
          ctx,
          `Nothing changed: the ${name} is never taken from the command line (other users can read it there, and it stays in the shell history). Run rdl-sync alert secret ${name} and type it (not shown), or pipe it in: printf '%s' "$VALUE" | rdl-sync alert secret ${name}`,
        );
        return 2;
      }
      const store = new AlertSecretStore(ctx.configDir);
      if (ctx.values.remove === true) {
        const { hadOne } = await store.set(name as AlertSecretName, '');
        say(ctx, hadOne ? `Removed the ${name}.` : `No ${name} was saved: nothing to remove.`);
        return 0;
      }
      // From stdin, never from the command line (which other users can read in ps); typed at a
      // terminal, never echoed (it stayed on the screen, a remote desktop's too, and in scrollback).
      const value = process.stdin.isTTY
        ? await readHidden(ctx, `Type the ${name} (it is not shown), then Enter: `)
        : await readStdin();
      // Empty (a pipe that gave nothing, a script run with no input): never a removal, which
      // took a working password away unasked; that is --remove.
      if (value.trim() === '') {
        const saved = await store.has(name as AlertSecretName);
        say(
          ctx,
          saved
            ? `Nothing changed: the value given was empty, so the saved ${name} is kept (to remove it: rdl-sync alert secret ${name} --remove).`
            : `Nothing saved: the value given was empty, and no ${name} was saved before.`,
        );
        return 1;
      }
      const { replacedDamaged } = await store.set(name as AlertSecretName, value);
      if (replacedDamaged) {
        const others = ALERT_SECRET_NAMES.filter((n) => n !== name).join(', ');
        say(ctx, `The damaged ${store.file} was replaced: set the ${others} again if you use it.`);
      }
      say(ctx, `Saved the ${name} in ${store.file} (only this user can read it).`);
      return 0;
    }
    if (action !== 'test') {
      say(ctx, unknownActionWords(action));
      return 2;
    }
    // Not set up here at all: no channel can be, and opening the engine would make the settings
    // folder (a trial's `alert test` on a fresh machine left one, with a log, behind).
    if (!existsSync(ctx.configDir)) {
      say(ctx, `RDL Sync is not set up here (no settings folder ${ctx.configDir}). ${NO_CHANNEL}`);
      return 2;
    }
    const engine = await sideEngine(ctx);
    try {
      // A relay that takes the connection and never answers is given up on only after its
      // timeouts: a minute and more of nothing on the screen read as a hang.
      const results = await engine.alerts.sendTest((labels) =>
        say(
          ctx,
          `Sending a test alert: ${labels.join('; ')}. A server that does not answer can take a minute or more to give up on…`,
        ),
      );
      if (results.length === 0) {
        say(ctx, NO_CHANNEL);
        return 2;
      }
      for (const r of results) {
        say(ctx, r.ok ? `ok      ${r.label}` : `FAILED  ${r.label}: ${r.error ?? 'unknown error'}`);
      }
      await sayWhenSyncingProcessFollows(ctx, results);
      return results.every((r) => r.ok) ? 0 : 1;
    } finally {
      await engine.stop();
    }
  },
};

const ALERT_USAGE = 'Usage: rdl-sync alert test | rdl-sync alert secret NAME';
const SECRET_USAGE = `Usage: rdl-sync alert secret ${ALERT_SECRET_NAMES.join('|')} [--remove]  (value on stdin)`;

/**
 * What was wrong with `alert WORD`, then the usage: the usage alone (`alert tset`) named no
 * problem, though a mistyped command (`stauts`) or option (`--jsn`) is told "did you mean".
 */
function unknownActionWords(action: string | undefined): string {
  if (action === undefined)
    return `rdl-sync alert needs an action: test or secret.\n${ALERT_USAGE}`;
  const meant = closestWord(action, ['test', 'secret'] as const);
  return `Unknown alert action "${action}"${meant ? `: did you mean ${meant}?` : ': use test or secret.'}\n${ALERT_USAGE}`;
}

/** What was wrong with `alert secret NAME`: none given, or one that is no secret's name. */
function unknownSecretWords(name: string | undefined): string {
  const names = ALERT_SECRET_NAMES.join(' or ');
  if (name === undefined)
    return `rdl-sync alert secret needs the secret's name: ${names}.\n${SECRET_USAGE}`;
  const meant = closestWord(name, ALERT_SECRET_NAMES);
  return `Unknown secret "${name}"${meant ? `: did you mean ${meant}?` : '.'} The secrets are ${names}.\n${SECRET_USAGE}`;
}

/**
 * The process that syncs shows a channel the test just reached as failing (its last send failed):
 * say that it takes the test's outcome at its next look, or `status` reads as if the fix failed.
 */
async function sayWhenSyncingProcessFollows(
  ctx: CliContext,
  results: { channel: string; label: string; ok: boolean }[],
): Promise<void> {
  const published = await readStatusFile(ctx.configDir);
  const owner = await liveLockOwner(ctx.configDir);
  if (!published || published.pid == null || owner?.pid !== published.pid) return;
  const shown = new Set(published.status.problems.map((p) => p.id));
  const healed = results.filter((r) => r.ok && shown.has(`${CHANNEL_FAILING_PREFIX}${r.channel}`));
  if (healed.length === 0) return;
  say(
    ctx,
    `The running RDL Sync (pid ${owner.pid}) still shows ${healed.map((r) => r.label).join(' and ')} failing: within a minute it takes this test into account and sends what it owes.`,
  );
}

export const report: CommandSpec = {
  async run(ctx) {
    const send = ctx.values.send === true;
    const engine = await sideEngine(ctx, !send);
    try {
      // A running daemon's live status; otherwise what a stopped engine can see.
      const published = await readStatusFile(ctx.configDir);
      const owner = await liveLockOwner(ctx.configDir);
      const running = published?.pid != null && owner?.pid === published.pid;
      if (!running) await engine.probe();
      const status = running ? published.status : engine.getStatus();
      // Another RDL Sync (the service's scheduled digest) may be sending one this moment.
      const outcome = send
        ? await engine.alerts.sendDigest(status, {
            onWait: (pid) =>
              say(ctx, `Another RDL Sync (pid ${pid}) is sending the digest now: waiting for it.`),
          })
        : null;
      const digest = outcome?.digest ?? (await engine.alerts.digest(status));
      if (ctx.values.json) {
        say(
          ctx,
          JSON.stringify(
            { subject: digest.subject, sources: digest.sources, text: digest.text },
            null,
            2,
          ),
        );
      } else {
        say(ctx, digest.text);
      }
      if (outcome?.sent) {
        say(ctx, `Sent "${digest.subject}" by email.`);
        // Sent all the same: not an error (a cron job would send it again).
        if (outcome.unrecorded !== null)
          say(
            ctx,
            `Warning: the digest could not be recorded as sent (${outcome.unrecorded}): the service may send it again when it is next due. Free space on the settings folder's disk (or make it writable).`,
          );
      } else if (outcome)
        say(
          ctx,
          `Not sent again: another RDL Sync sent the digest by email at ${new Date(outcome.sentAtMs).toISOString()} while this waited.`,
        );
      return 0;
    } finally {
      await engine.stop();
    }
  },
};
