import { describeReadFailure } from '../config/read-file.js';
import { ConfigError, ErrorCode, UpsguardError, errorMessage } from '../errors.js';

/** `--name value` and `--flag` options; anything else positional. Unknown options are errors that name them. */
export function parseOptions(
  args: readonly string[],
  spec: { values?: readonly string[]; flags?: readonly string[] },
): { options: Record<string, string | true>; positional: string[] } {
  const options: Record<string, string | true> = {};
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split('=', 2) as [string, string | undefined];
    if (spec.flags?.includes(name)) {
      options[name] = true;
    } else if (spec.values?.includes(name)) {
      const value = inline ?? args[++i];
      if (value === undefined) throw new UpsguardError(ErrorCode.CliUsage, `--${name} needs a value`);
      options[name] = value;
    } else {
      throw new UpsguardError(ErrorCode.CliUsage, `unknown option --${name}`);
    }
  }
  return { options, positional };
}

/**
 * An error as the CLI prints it: one line `upsguard: <file>: <reason>` per problem, naming the file when there is
 * one (a config's problems each on their own line, after a count when there are several).
 */
export function cliErrorLines(e: unknown): string[] {
  if (e instanceof ConfigError) {
    const source = typeof e.details.source === 'string' ? e.details.source : 'configuration';
    const lines = e.problems.map((p) => `upsguard: ${source}: ${p}`);
    if (e.problems.length > 1) lines.unshift(`upsguard: ${source}: ${e.problems.length} problems`);
    return lines;
  }
  const errno = e as NodeJS.ErrnoException | undefined;
  if (e instanceof Error && typeof errno?.code === 'string' && typeof errno.path === 'string') {
    return [`upsguard: ${errno.path}: ${describeReadFailure(e)}`];
  }
  const message = errorMessage(e).split('\n').join(' ');
  const file = e instanceof UpsguardError && typeof e.details.file === 'string' ? e.details.file : undefined;
  if (file === undefined || message.startsWith(`${file}: `)) return [`upsguard: ${message}`];
  return [`upsguard: ${file}: ${message}`];
}
