import { loadConfigFile } from '../config/load.js';
import { ConfigError, errorMessage } from '../errors.js';

export function runConfigCheck(args: readonly string[], out: (s: string) => void, err: (s: string) => void): number {
  const file = args[0];
  if (file === undefined || args.length > 1) {
    err('usage: upsguard config check FILE');
    return 2;
  }
  try {
    const loaded = loadConfigFile(file);
    out(`${loaded.source}: ok (${loaded.config.ups.length} UPS${loaded.config.ups.length === 1 ? '' : 'es'})`);
    return 0;
  } catch (e) {
    if (e instanceof ConfigError) {
      err(`${e.details.source as string}: ${e.problems.length} problem${e.problems.length === 1 ? '' : 's'}`);
      for (const p of e.problems) err(`  ${p}`);
    } else {
      err(errorMessage(e));
    }
    return 1;
  }
}
