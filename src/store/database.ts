import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import { migrations, type Migration } from './migrations/index.js';

export type Db = Database.Database;

/** Opens (creating if needed) the store with WAL and applies pending migrations, each in its own transaction. */
export function openDatabase(path: string, list: readonly Migration[] = migrations): Db {
  let db: Db;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    db = new Database(path);
  } catch (err) {
    throw new UpsguardError(ErrorCode.StoreFailure, `cannot open the store at ${path}: ${errorMessage(err)}`);
  }
  try {
    configureDatabase(db);
    migrate(db, list);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** The connection settings every file store gets. */
export function configureDatabase(db: Db): void {
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  // 1 MB of page cache (SQLite's default is 2 MB): the appliance writes a row every few seconds and reads history
  // rarely, and the operating system caches the file anyway.
  db.pragma('cache_size = -1024');
  db.pragma('foreign_keys = ON');
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function migrate(db: Db, list: readonly Migration[]): void {
  const current = schemaVersion(db);
  const newest = list.reduce((m, x) => Math.max(m, x.version), 0);
  if (current > newest) {
    throw new UpsguardError(
      ErrorCode.StoreTooNew,
      `the store is at schema version ${current}, newer than this upsguard knows (${newest}); upgrade upsguard`,
    );
  }
  for (const m of [...list].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}
