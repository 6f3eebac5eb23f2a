import { existsSync, renameSync } from 'node:fs';
import { ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Clock } from '../util/clock.js';
import { openDatabase } from './database.js';
import { FailoverDb, type StoreHealth } from './failover-db.js';

export interface OpenStoreOptions {
  readonly path: string;
  readonly clock: Clock;
  readonly log: Logger;
  readonly retryMs: number;
  readonly onHealth?: (health: StoreHealth) => void;
}

const CORRUPT = /SQLITE_(CORRUPT|NOTADB)|file is not a database|malformed/i;

/**
 * Opens the store for the appliance. A corrupt file is moved aside (with its WAL) and a new one made; a store that
 * cannot be opened at all (read-only, full, no permission) does not stop the appliance: it runs on a store in memory
 * and keeps trying the file. Either way the UPS is watched. A store written by a newer upsguard is refused (thrown).
 */
export function openStore(o: OpenStoreOptions): FailoverDb {
  const options = { path: o.path, clock: o.clock, retryMs: o.retryMs, onHealth: o.onHealth };
  try {
    return new FailoverDb(openDatabase(o.path), options);
  } catch (first) {
    // A newer upsguard's store is its data, not damage: starting on memory would hide that the upgrade was undone.
    if (first instanceof UpsguardError && first.code === ErrorCode.StoreTooNew) throw first;
    if (o.path !== ':memory:' && existsSync(o.path) && CORRUPT.test(`${codeOf(first)} ${errorMessage(first)}`)) {
      const aside = `${o.path}.corrupt-${new Date(o.clock.now()).toISOString().replace(/[:.]/g, '-')}`;
      try {
        renameSync(o.path, aside);
        for (const side of ['-wal', '-shm']) if (existsSync(o.path + side)) renameSync(o.path + side, aside + side);
        o.log.error(
          { store: o.path, movedTo: aside, err: errorMessage(first) },
          'the store was corrupt: moved it aside and started a new one',
        );
        return new FailoverDb(openDatabase(o.path), options);
      } catch (second) {
        return inMemory(o, options, second);
      }
    }
    return inMemory(o, options, first);
  }
}

function inMemory(o: OpenStoreOptions, options: ConstructorParameters<typeof FailoverDb>[1], err: unknown): FailoverDb {
  const reason = `cannot open the store at ${o.path}: ${errorMessage(err)}`;
  o.log.error({ store: o.path, err: errorMessage(err) }, 'the store cannot be opened: keeping history in memory');
  return new FailoverDb(null, options, reason);
}

function codeOf(err: unknown): string {
  const c = (err as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : '';
}
