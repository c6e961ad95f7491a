// An option that takes a value takes the next argument as it is, even one starting with '-', as
// getopt does: an authorization code from Dropbox can begin with '-' (one in 64 of them), and
// node's parseArgs refuses `--code -AbC…` as "ambiguous". Such pairs are joined into
// `--code=-AbC…` (`-c-dir` for a short one) before parsing. `--name=value`, flags, and everything after `--` are left as they
// are.
import type { ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

export function joinOptionValues(args: readonly string[], options: Options): string[] {
  const takesValue = new Set<string>();
  for (const [name, spec] of Object.entries(options)) {
    if (spec.type !== 'string') continue;
    takesValue.add(`--${name}`);
    if (spec.short) takesValue.add(`-${spec.short}`);
  }
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const value = args[i + 1];
    if (
      takesValue.has(arg) &&
      value !== undefined &&
      value.startsWith('-') &&
      value !== '--' &&
      !isOptionOf(value, options)
    ) {
      // `--name=value`; a short option takes its value glued on (`-c-dir`), as getopt does.
      out.push(arg.startsWith('--') ? `${arg}=${value}` : `${arg}${value}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

/**
 * Whether `arg` names one of `options` (`--config-dir`, `--config-dir=x`, `-h`): then the value
 * before it was left out (`sync --wait --config-dir D`), and taking the option's name as that
 * value made "--config-dir" a duration and `D` a stray argument.
 */
function isOptionOf(arg: string, options: Options): boolean {
  if (arg.startsWith('--')) return Object.hasOwn(options, arg.slice(2).split('=')[0]!);
  return Object.values(options).some(
    (spec) => spec.short !== undefined && arg === `-${spec.short}`,
  );
}

/** Stands for a negative number while node's parseArgs reads the arguments (see shieldNegativeNumbers). */
const NEGATIVE = '\u0000negative number:';

/**
 * A negative number on its own (`settings set stableSeconds -5`) is a value, never an option (no
 * option here is a digit), but parseArgs took it for one and answered "Unknown option '-5'" with
 * the usage, instead of the setting's own rule (a trial). Such numbers go through parsing as
 * stand-ins, which `unshieldPositionals` turns back into the numbers. After `--`, nothing changes.
 */
export function shieldNegativeNumbers(args: readonly string[]): string[] {
  const end = args.indexOf('--');
  return args.map((arg, i) =>
    (end === -1 || i < end) && /^-\d+(\.\d+)?$/.test(arg) ? `${NEGATIVE}${arg}` : arg,
  );
}

export function unshieldPositionals(positionals: readonly string[]): string[] {
  return positionals.map((p) => (p.startsWith(NEGATIVE) ? p.slice(NEGATIVE.length) : p));
}
