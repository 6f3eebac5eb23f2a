import { loadConfigFile } from '../config/load.js';
import { cliErrorLines } from './args.js';

/**
 * `upsguard config check FILE`: loads the file exactly as serve does (schema, secrets, and every file it names), so a
 * config that passes here is one serve accepts. Problems are one line each, `upsguard: FILE: path: reason`.
 */
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
    for (const line of cliErrorLines(e)) err(line);
    return 1;
  }
}
