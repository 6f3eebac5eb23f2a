import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ErrorCode, UpsguardError } from '../errors.js';
import { encodeBackup } from '../store/backup/archive.js';
import { copyStoreOnline } from '../store/backup/online-copy.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { parseOptions } from './args.js';
import { operatorConfigPath, storePathOf, upsguardVersion } from './operator-config.js';

/**
 * `upsguard backup FILE [--config FILE]`: the config file and a consistent copy of the store, taken while the
 * service runs, into one file (mode 600: the config may hold password hashes and secrets).
 */
export function runBackup(args: readonly string[], out: (s: string) => void, env = process.env): number {
  const { options, positional } = parseOptions(args, { values: ['config'] });
  const [target, extra] = positional;
  if (target === undefined || extra !== undefined) {
    throw new UpsguardError(ErrorCode.CliUsage, 'usage: upsguard backup FILE [--config FILE]');
  }
  const configPath = operatorConfigPath(options.config, env);
  const storePath = storePathOf(configPath);
  const copy = copyStoreOnline(storePath);
  const version = upsguardVersion();
  const bytes = encodeBackup({
    createdAt: new Date().toISOString(),
    upsguardVersion: version,
    schemaVersion: copy.schemaVersion,
    config: configPath === null ? null : { path: configPath, text: readFileSync(configPath, 'utf8') },
    store: { path: storePath, data: copy.data },
  });
  const file = resolve(target);
  writeFileAtomic(file, bytes, 0o600);
  out(
    `backup written to ${file} (${bytes.length} bytes): ` +
      `${configPath === null ? 'no config (the demo)' : `config ${configPath}`}, store ${storePath} ` +
      `(${copy.data.length} bytes, schema version ${copy.schemaVersion}), upsguard ${version}`,
  );
  return 0;
}
