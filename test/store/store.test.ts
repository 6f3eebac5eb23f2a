import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { migrate, openDatabase, schemaVersion } from '../../src/store/database.js';
import { migrations } from '../../src/store/migrations/index.js';
import { EventsStore } from '../../src/store/events.js';
import { ReadingsStore, resolutionFor } from '../../src/store/readings.js';
import type { UpsSnapshot } from '../../src/ups/events.js';
import { tempDir } from '../helpers/tmp.js';

const snap = (at: number, charge: number, extra: Record<string, string> = {}): UpsSnapshot => ({
  ups: 'u',
  at,
  variables: { 'battery.charge': String(charge), 'device.model': 'Back-UPS 500', ...extra },
  status: ['OL'],
  comms: 'ok',
  lastContactAt: at,
});

const T0 = Date.UTC(2026, 10, 21, 10, 0, 0);

describe('store', () => {
  it('opens a file in WAL mode at the newest schema, and refuses a newer one', () => {
    const dir = tempDir();
    const db = openDatabase(join(dir, 'sub', 'a.db'));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(schemaVersion(db)).toBe(migrations.at(-1)!.version);
    db.pragma('user_version = 99');
    expect(() => {
      migrate(db, [{ version: 1, name: 'x', sql: '' }]);
    }).toThrow(/schema version 99, newer than this upsguard knows \(1\)/);
    db.close();
  });

  it('keeps raw readings and minute/hour rollups with min, avg and max', () => {
    const db = openDatabase(':memory:');
    const r = new ReadingsStore(db);
    r.record(snap(T0, 100));
    r.record(snap(T0 + 10_000, 90));
    r.record(snap(T0 + 20_000, 80));
    r.record(snap(T0 + 61_000, 70));
    expect(r.history('u', 'battery.charge', T0, T0 + 120_000, 'raw').map((p) => p.avg)).toEqual([100, 90, 80, 70]);
    expect(r.history('u', 'battery.charge', T0, T0 + 120_000, 'minute')).toEqual([
      { at: T0, min: 80, avg: 90, max: 100 },
      { at: T0 + 60_000, min: 70, avg: 70, max: 70 },
    ]);
    expect(r.history('u', 'battery.charge', T0, T0 + 3_600_000, 'hour')).toEqual([
      { at: T0, min: 70, avg: 85, max: 100 },
    ]);
    // Text variables are kept raw but never rolled up.
    expect(r.history('u', 'device.model', T0, T0 + 120_000, 'minute')).toEqual([]);
    expect(r.latest('u')?.variables['battery.charge']).toBe('70');
  });

  it('chooses raw up to 3 hours, minutes up to 2 days, hours beyond', () => {
    expect(resolutionFor(3 * 3_600_000)).toBe('raw');
    expect(resolutionFor(3 * 3_600_000 + 1)).toBe('minute');
    expect(resolutionFor(2 * 86_400_000)).toBe('minute');
    expect(resolutionFor(2 * 86_400_000 + 1)).toBe('hour');
  });

  it('prunes each kind by its own retention', () => {
    const db = openDatabase(':memory:');
    const r = new ReadingsStore(db);
    const day = 86_400_000;
    r.record(snap(T0 - 3 * day, 50));
    r.record(snap(T0 - 100 * day, 40));
    r.record(snap(T0, 100));
    const removed = r.prune(T0, { rawMs: 2 * day, minuteMs: 90 * day, hourMs: 5 * 365 * day });
    expect(removed).toEqual({ raw: 2, minute: 1, hour: 0 });
    expect(r.history('u', 'battery.charge', T0 - 200 * day, T0, 'hour').map((p) => p.avg)).toEqual([40, 50, 100]);
  });

  it('numbers events and lists them in order after an id', () => {
    const db = openDatabase(':memory:');
    const e = new EventsStore(db);
    const a = e.add({ at: T0, type: 'ONBATT', ups: 'u', message: 'on battery' });
    const b = e.add({ at: T0 + 1, type: 'ONLINE', ups: 'u', message: 'on line power' });
    expect(b.id).toBe(a.id + 1);
    expect(e.list(0, 10).map((x) => x.type)).toEqual(['ONBATT', 'ONLINE']);
    expect(e.list(a.id, 10).map((x) => x.id)).toEqual([b.id]);
    expect(e.recent(1).map((x) => x.id)).toEqual([b.id]);
  });
});
