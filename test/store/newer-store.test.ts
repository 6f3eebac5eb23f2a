import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ErrorCode, UpsguardError } from '../../src/errors.js';
import { createLogger } from '../../src/log.js';
import { migrations } from '../../src/store/migrations/index.js';
import { openStore } from '../../src/store/open-store.js';
import { systemClock } from '../../src/util/clock.js';
import { tempDir } from '../helpers/tmp.js';

const newest = Math.max(...migrations.map((m) => m.version));

describe('a store written by a newer upsguard', () => {
  it('is refused at start with both schema versions named, and left as it was', () => {
    const dir = tempDir();
    const path = join(dir, 'upsguard.db');
    const newer = new Database(path);
    newer.exec('CREATE TABLE from_the_future (x INTEGER)');
    newer.pragma(`user_version = ${newest + 3}`);
    newer.close();

    let thrown: unknown;
    try {
      openStore({ path, clock: systemClock, log: createLogger({ level: 'silent' }), retryMs: 60_000 });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(UpsguardError);
    expect((thrown as UpsguardError).code).toBe(ErrorCode.StoreTooNew);
    expect((thrown as Error).message).toContain(
      `schema version ${newest + 3}, newer than this upsguard knows (${newest})`,
    );

    // Not moved aside as corrupt, not replaced, not migrated.
    expect(readdirSync(dir).filter((f) => f.includes('corrupt'))).toEqual([]);
    expect(existsSync(path)).toBe(true);
    const again = new Database(path, { readonly: true });
    expect(again.pragma('user_version', { simple: true })).toBe(newest + 3);
    expect(again.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all()).toEqual([
      'from_the_future',
    ]);
    again.close();
  });

  it('at the same version opens normally (an upgrade path that found nothing to do)', () => {
    const path = join(tempDir(), 'upsguard.db');
    const log = createLogger({ level: 'silent' });
    openStore({ path, clock: systemClock, log, retryMs: 60_000 }).close();
    const store = openStore({ path, clock: systemClock, log, retryMs: 60_000 });
    expect(store.status().state).toBe('ok');
    store.close();
  });
});
