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
