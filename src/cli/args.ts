import { ErrorCode, UpsguardError } from '../errors.js';

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
