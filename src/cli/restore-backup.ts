import { readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { ErrorCode, UpsguardError } from '../errors.js';
import { decodeBackup } from '../store/backup/archive.js';
import { restoreBackup } from '../store/backup/restore.js';
import { migrations } from '../store/migrations/index.js';
import { parseOptions } from './args.js';
import { storePathOf, upsguardVersion } from './operator-config.js';

/**
 * `upsguard restore FILE [--data-dir DIR] [--config FILE]`: puts a backup's store (and config) back. Without
 * `--data-dir` both go where they were backed up from; with it, both go into DIR (a new place to start from), and
 * `--config` names the config's place in either case. A running service's store is never replaced.
 */
export function runRestoreBackup(args: readonly string[], out: (s: string) => void): number {
  const { options, positional } = parseOptions(args, { values: ['data-dir', 'config'] });
  const [source, extra] = positional;
  if (source === undefined || extra !== undefined) {
    throw new UpsguardError(ErrorCode.CliUsage, 'usage: upsguard restore FILE [--data-dir DIR] [--config FILE]');
  }
  const file = resolve(source);
  const contents = decodeBackup(readFileSync(file), file);
  const dataDir = typeof options['data-dir'] === 'string' ? resolve(options['data-dir']) : null;
  const storeTarget = dataDir ? join(dataDir, basename(contents.store.path)) : contents.store.path;
  const configTarget =
    typeof options.config === 'string'
      ? resolve(options.config)
      : contents.config === null
        ? null
        : dataDir
          ? join(dataDir, basename(contents.config.path))
          : contents.config.path;
  const newestSchema = migrations.reduce((m, x) => Math.max(m, x.version), 0);
  const done = restoreBackup(contents, { storeTarget, configTarget, upsguardVersion: upsguardVersion(), newestSchema });
  out(
    `restored the store to ${done.store} (schema version ${contents.schemaVersion}, backed up ${contents.createdAt} by upsguard ${contents.upsguardVersion})`,
  );
  if (done.config) out(`restored the config to ${done.config}`);
  else out('the backup holds no config (it was taken from the demo)');
  if (done.config) {
    const named = storePathOf(done.config);
    if (named !== done.store) {
      out(`note: that config's store.path is ${named}; point it at ${done.store} (or move the store there)`);
    }
  }
  return 0;
}
