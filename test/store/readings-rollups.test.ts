import { describe, expect, it } from 'vitest';
import { migrate, openDatabase } from '../../src/store/database.js';
import { migrations } from '../../src/store/migrations/index.js';
import { ReadingsStore } from '../../src/store/readings.js';
import type { UpsSnapshot } from '../../src/ups/events.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);

const snap = (at: number, vars: Record<string, string>): UpsSnapshot => ({
  ups: 'u',
  at,
  variables: vars,
  status: ['OL'],
  comms: 'ok',
  lastContactAt: at,
});

type Row = { bucket: number; min: number; max: number; sum: number; count: number };
const rowsOf = (db: ReturnType<typeof openDatabase>, table: string): Row[] =>
  db
    .prepare(`SELECT bucket, min, max, sum, count FROM ${table} WHERE var = 'battery.charge' ORDER BY bucket`)
    .all() as Row[];

describe('the 10 s and 6 h rollups (history charts)', () => {
  it('record() keeps them in the same transaction, numeric variables only', () => {
    const db = openDatabase(':memory:');
    const r = new ReadingsStore(db);
    r.record(snap(T0, { 'battery.charge': '100', 'device.model': 'Back-UPS' }));
    r.record(snap(T0 + 4000, { 'battery.charge': '90' }));
    r.record(snap(T0 + 12_000, { 'battery.charge': '80' }));
    expect(rowsOf(db, 'rollups_10s')).toEqual([
      { bucket: T0, min: 90, max: 100, sum: 190, count: 2 },
      { bucket: T0 + 10_000, min: 80, max: 80, sum: 80, count: 1 },
    ]);
    expect(rowsOf(db, 'rollups_6h')).toEqual([{ bucket: T0, min: 80, max: 100, sum: 270, count: 3 }]);
    expect(db.prepare("SELECT COUNT(*) AS n FROM rollups_10s WHERE var = 'device.model'").get()).toEqual({ n: 0 });
  });

  it('series() reads raw rows for short windows and 10 s rollups once raw readings outnumber the points', () => {
    const db = openDatabase(':memory:');
    const r = new ReadingsStore(db);
    for (let i = 0; i < 60; i++) r.record(snap(T0 + i * 1000, { 'battery.charge': String(i) }));
    const short = r.series('u', 'battery.charge', T0, T0 + 59_000, 1500);
    expect(short).toMatchObject({ resolution: 'raw', bucketMs: 1000 });
    expect(short.at).toHaveLength(60);
    const merged = r.series('u', 'battery.charge', T0, T0 + 59_000, 20);
    // 3 s would fit 20 points; the 10 s rollups are the next whole width stored.
    expect(merged).toMatchObject({ resolution: 'raw', bucketMs: 10_000 });
    expect(merged.at).toEqual([0, 1, 2, 3, 4, 5].map((k) => T0 + k * 10_000));
    expect(merged.avg[1]).toBe(14.5);
    expect(merged.min[1]).toBe(10);
    expect(merged.max[1]).toBe(19);
  });

  it('prune() drops them with the raw readings (10 s) and the hours (6 h)', () => {
    const db = openDatabase(':memory:');
    const r = new ReadingsStore(db);
    r.record(snap(T0 - 3 * DAY, { 'battery.charge': '50' }));
    r.record(snap(T0 - 400 * DAY, { 'battery.charge': '40' }));
    r.record(snap(T0, { 'battery.charge': '100' }));
    r.prune(T0, { rawMs: 2 * DAY, minuteMs: 90 * DAY, hourMs: 365 * DAY });
    expect(rowsOf(db, 'rollups_10s').map((x) => x.bucket)).toEqual([T0]);
    expect(rowsOf(db, 'rollups_6h').map((x) => x.bucket)).toEqual([T0 - 3 * DAY, T0]);
  });

  it('migration 0007 fills them from the readings and hour rollups already stored', () => {
    const db = openDatabase(':memory:', migrations.slice(0, 6));
    db.prepare("INSERT INTO readings (ups, at, variables, status, comms) VALUES ('u', ?, ?, 'OL', 'ok')").run(
      T0 + 1000,
      JSON.stringify({ 'battery.charge': '95', 'ups.status': 'OL', 'input.voltage': '' }),
    );
    const hour = db.prepare(
      "INSERT INTO rollups (resolution, ups, var, bucket, min, max, sum, count) VALUES ('hour', 'u', 'battery.charge', ?, ?, ?, ?, ?)",
    );
    hour.run(T0, 90, 100, 95 * 3600, 3600);
    hour.run(T0 + HOUR, 80, 85, 82 * 3600, 3600);
    migrate(db, migrations);
    expect(rowsOf(db, 'rollups_10s')).toEqual([{ bucket: T0, min: 95, max: 95, sum: 95, count: 1 }]);
    expect(db.prepare('SELECT COUNT(*) AS n FROM rollups_10s').get()).toEqual({ n: 1 });
    expect(rowsOf(db, 'rollups_6h')).toEqual([{ bucket: T0, min: 80, max: 100, sum: 177 * 3600, count: 7200 }]);
  });
});
