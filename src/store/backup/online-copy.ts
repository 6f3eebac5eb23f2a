import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';

export interface StoreCopy {
  readonly data: Buffer;
  readonly schemaVersion: number;
}

/**
 * A consistent copy of the store while the service runs and writes: `VACUUM INTO` from a second, read-only
 * connection is one read transaction, so under WAL it sees one committed state and never blocks the writer (and,
 * unlike the page-by-page backup API, it never restarts when the writer commits). The copy is checked with
 * `PRAGMA integrity_check` before it is returned.
 */
export function copyStoreOnline(path: string, busyTimeoutMs = 5000): StoreCopy {
  if (path === ':memory:') {
    throw new UpsguardError(
      ErrorCode.StoreFailure,
      'the store is in memory (store.path :memory:): there is nothing to back up',
    );
  }
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: busyTimeoutMs });
  } catch (err) {
    throw new UpsguardError(ErrorCode.StoreFailure, `cannot open the store at ${path}: ${errorMessage(err)}`, {
      file: path,
    });
  }
  const dir = mkdtempSync(join(tmpdir(), 'upsguard-backup-'));
  try {
    const out = join(dir, 'store.db');
    let schemaVersion: number;
    try {
      schemaVersion = db.pragma('user_version', { simple: true }) as number;
      db.prepare('VACUUM INTO ?').run(out);
    } catch (err) {
      throw new UpsguardError(ErrorCode.StoreFailure, `cannot copy the store at ${path}: ${errorMessage(err)}`, {
        file: path,
      });
    }
    const check = new Database(out, { readonly: true });
    try {
      const result = check.pragma('integrity_check', { simple: true }) as string;
      const copiedVersion = check.pragma('user_version', { simple: true }) as number;
      if (result !== 'ok') {
        throw new UpsguardError(ErrorCode.StoreFailure, `the copy of ${path} failed its integrity check: ${result}`);
      }
      schemaVersion = copiedVersion;
    } finally {
      check.close();
    }
    return { data: readFileSync(out), schemaVersion };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
