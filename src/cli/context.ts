// What every CLI command receives and what it is: shared by the command table (commands.ts) and
// the commands kept in their own files (doctor.ts, alert-commands.ts), so none imports the table.
import type { FileLogger } from '../engine/index.js';

export interface CliContext {
  configDir: string;
  logger: FileLogger;
  out: NodeJS.WritableStream;
  /** Aborted by SIGTERM/SIGINT (daemon only): start-up stops where it is, then the engine. */
  stopSignal: AbortSignal;
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export interface CommandSpec {
  run(ctx: CliContext): Promise<number>;
}

/**
 * How long a command that only looks at the card (status or history with no daemon, a report, a
 * retention dry run) waits for its answer (engine/archive/card-answers.ts): with the 2 minutes a
 * pass gives a card, `status` printed nothing for 2 minutes beside a hung card (hands-on trial).
 */
export const LOOK_CARD_ANSWER_MS = 5_000;
