import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import { writeFileAtomic } from '../../util/atomic-write.js';
import { compareVersions, type BackupContents } from './archive.js';
import { storeHolders } from './store-holders.js';

export interface RestoreOptions {
  /** Where the store goes. */
  readonly storeTarget: string;
  /** Where the config goes; null: not written (or the backup holds none). */
  readonly configTarget: string | null;
  /** This upsguard's version and the newest store schema it knows. */
  readonly upsguardVersion: string;
  readonly newestSchema: number;
  /** Who holds a store open (the /proc scan by default). */
  readonly holders?: (path: string) => readonly number[];
}

export interface RestoreResult {
  readonly store: string;
  readonly config: string | null;
}

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

/** Refuses what this upsguard must not restore: a newer version's backup, a newer schema, a store in use. */
export function checkRestorable(c: BackupContents, o: RestoreOptions): void {
  if (compareVersions(c.upsguardVersion, o.upsguardVersion) > 0) {
    throw new UpsguardError(
      ErrorCode.BackupTooNew,
      `the backup was made by upsguard ${c.upsguardVersion}, newer than this upsguard ${o.upsguardVersion}: upgrade upsguard first`,
    );
  }
  if (c.schemaVersion > o.newestSchema) {
    throw new UpsguardError(
      ErrorCode.BackupTooNew,
      `the backup's store is at schema version ${c.schemaVersion}, newer than this upsguard ${o.upsguardVersion} knows (${o.newestSchema}): upgrade upsguard first`,
    );
  }
  const holders = (o.holders ?? storeHolders)(o.storeTarget);
  if (holders.length > 0) {
    throw new UpsguardError(
      ErrorCode.StoreInUse,
      `the store at ${o.storeTarget} is in use by process ${holders.join(', ')} (a running upsguard): stop the service first (systemctl stop upsguard), or restore with --data-dir into a new directory`,
      { file: o.storeTarget },
    );
  }
}

/** The store bytes are a sound SQLite database: checked in a scratch copy before anything is replaced. */
function checkStoreBytes(data: Buffer): void {
  if (data.length < SQLITE_HEADER.length || !data.subarray(0, SQLITE_HEADER.length).equals(SQLITE_HEADER)) {
    throw new UpsguardError(ErrorCode.BackupInvalid, 'the backup holds no SQLite store');
  }
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-restore-'));
  try {
    const file = join(dir, 'check.db');
    writeFileSync(file, data, { mode: 0o600 });
    const db = new Database(file, { readonly: true });
    try {
      const result = db.pragma('integrity_check', { simple: true }) as string;
      if (result !== 'ok') throw new UpsguardError(ErrorCode.BackupInvalid, `the backup's store is damaged: ${result}`);
    } finally {
      db.close();
    }
  } catch (err) {
    if (err instanceof UpsguardError) throw err;
    throw new UpsguardError(ErrorCode.BackupInvalid, `the backup's store cannot be read: ${errorMessage(err)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Writes the backup's store and config in place, each atomically (the old file or the new one, never half). A WAL
 * left by an earlier process is removed first: SQLite would otherwise replay it onto the restored file.
 */
export function restoreBackup(c: BackupContents, o: RestoreOptions): RestoreResult {
  checkRestorable(c, o);
  checkStoreBytes(c.store.data);
  mkdirSync(dirname(o.storeTarget), { recursive: true, mode: 0o750 });
  for (const side of ['-wal', '-shm']) rmSync(o.storeTarget + side, { force: true });
  writeFileAtomic(o.storeTarget, c.store.data, 0o600);
  let config: string | null = null;
  if (c.config && o.configTarget !== null) {
    mkdirSync(dirname(o.configTarget), { recursive: true, mode: 0o750 });
    writeFileAtomic(o.configTarget, c.config.text, 0o600);
    config = o.configTarget;
  }
  return { store: o.storeTarget, config };
}
