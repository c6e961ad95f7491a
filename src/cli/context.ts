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
