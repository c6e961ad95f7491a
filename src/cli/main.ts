// The headless front end: `rdl-sync <command>`. Thin by design: it parses arguments, calls the
// engine facade and prints. Exit codes: 0 ok, 1 something failed or waits, 2 bad usage/settings.
// Results go to stdout; usage mistakes and failures go to stderr, so `status --json | jq` and
// similar pipes only ever see the answer.
import { parseArgs } from 'node:util';
import path from 'node:path';
import { defaultConfigDir } from '../engine/settings/paths.js';
import { HELP } from './help.js';
import { COMMAND_OPTIONS } from './options.js';
import type { CliContext } from './commands.js';

export async function main(
  argv: string[],
  out: NodeJS.WritableStream = process.stdout,
  err: NodeJS.WritableStream = process.stderr,
): Promise<number> {
  const command = argv[0] && !argv[0].startsWith('-') ? argv[0] : undefined;
  const rest = command ? argv.slice(1) : argv;
  if (!command) {
    const asked = rest.includes('--help') || rest.includes('-h');
    (asked ? out : err).write(`${HELP.main}\n`);
    return asked ? 0 : 2;
  }
  const commandOptions = Object.hasOwn(COMMAND_OPTIONS, command)
    ? COMMAND_OPTIONS[command]
    : undefined;
  if (!commandOptions) {
    err.write(`Unknown command "${command}". Run rdl-sync --help for the list.\n`);
    return 2;
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      options: {
        'config-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...commandOptions,
      },
      allowPositionals: true,
      strict: true,
    });
  } catch (e) {
    err.write(`${(e as Error).message}\n\n${HELP[command] ?? HELP.main}\n`);
    return 2;
  }
  if (parsed.values.help) {
    out.write(`${HELP[command]}\n`);
    return 0;
  }
  // Loaded only now: help and usage mistakes are answered without starting the engine's modules.
  const [{ commands }, { createLogger }, { isSyncError }] = await Promise.all([
    import('./commands.js'),
    import('../engine/log/index.js'),
    import('../engine/errors.js'),
  ]);
  const configDir = path.resolve(
    (parsed.values['config-dir'] as string | undefined) ?? defaultConfigDir(),
  );
  const logger = createLogger({
    file: path.join(configDir, 'logs', 'rdl-sync.log'),
    console: command === 'run' && process.env.RDL_SYNC_QUIET !== '1',
  });
  const ctx: CliContext = {
    configDir,
    logger,
    out,
    values: parsed.values as Record<string, string | boolean | undefined>,
    positionals: parsed.positionals,
  };
  try {
    return await commands[command]!.run(ctx);
  } catch (e) {
    const message = isSyncError(e) ? e.message : e instanceof Error ? e.message : String(e);
    err.write(`rdl-sync ${command}: ${message}\n`);
    logger.error(`${command} failed`, { reason: message });
    return isSyncError(e) && e.code === 'settings-invalid' ? 2 : 1;
  }
}

const isEntry =
  process.argv[1] && /(?:^|[\\/])(?:main\.ts|cli\.mjs|rdl-sync(?:\.js)?)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exitCode = 1;
    },
  );
}
