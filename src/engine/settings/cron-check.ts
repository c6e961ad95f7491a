// A cron setting is only good if the scheduler (node-schedule) will actually fire it. node-schedule
// quietly accepts a four-field expression (read as seconds-less nonsense) and returns no job at
// all for ones it cannot parse (`a b c d e`, `@reboot`) or that never come (`0 0 31 2 *`): a daemon
// with such a schedule would run no pass, ever, and still look idle and fine.
//
// node-schedule (with cron-parser and luxon, about 310 KB) is loaded only when asked for
// (loadCronCheck): `rdl-sync once` over an interval schedule, the common case, never needs it,
// and compiling it sat on the way to its first Dropbox request. Every engine but `once`'s loads it
// before it reads the settings (createEngine), as do the CLI's settings commands.
import type * as Schedule from 'node-schedule';

let schedule: Pick<typeof Schedule, 'scheduleJob'> | undefined;

/** Loads what cronProblem needs; call (and wait for) it before validating a cron setting. */
export async function loadCronCheck(): Promise<void> {
  schedule ??= (await import('node-schedule')).default;
}

/** The named schedules cron-parser understands; @reboot is not one (there is no "boot" here). */
const MACROS = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@hourly']);

/** Null when the expression will fire, else why not, in words a person can act on. */
export function cronProblem(expr: string): string | null {
  const text = expr.trim();
  const example = 'for example */5 * * * * (every 5 minutes) or 0 6 * * * (06:00 daily)';
  if (text === '') return `Cron expression is empty: enter one (${example})`;
  if (text.startsWith('@')) {
    if (!MACROS.has(text.toLowerCase()))
      return `"${text}" is not a schedule RDL Sync can run: use five fields (${example}) or one of ${[...MACROS].join(', ')}`;
  } else {
    const fields = text.split(/\s+/).length;
    if (fields !== 5 && fields !== 6)
      return `"${text}" has ${fields} field${fields === 1 ? '' : 's'}; cron needs five (minute hour day month weekday) or six (with seconds first): ${example}`;
  }
  // Only `once` validates without loading first, when the file held no cron schedule as it started
  // (createEngine looked): it changed to one in that instant. Refused, never guessed.
  if (!schedule)
    return `"${text}" could not be checked: the settings file changed to a cron schedule while RDL Sync was starting; run the command again`;
  const job = schedule.scheduleJob(text, () => {});
  if (!job) return `"${text}" is not a valid cron expression, or never comes round: ${example}`;
  const next = job.nextInvocation() as unknown as { getTime(): number } | null;
  job.cancel();
  if (!next) return `"${text}" never comes round: ${example}`;
  return null;
}
