import { describe, expect, it } from 'vitest';
import type { HistoryResponse } from '../../src/web/api-types/history.js';
import { as, readRig, snap, T0 } from './read-apis-rig.js';

const HOUR = 3_600_000;
const MINUTE = 60_000;

async function rigWithUps() {
  return readRig([
    { name: 'ups1', snapshot: snap('ups1', T0, ['OL']) },
    { name: 'ups2', snapshot: snap('ups2', T0, ['OL']) },
  ]);
}

/** Rollup rows as the rollup leaves them: one per bucket with min/max/sum/count. */
function seedRollups(
  r: Awaited<ReturnType<typeof rigWithUps>>,
  resolution: 'minute' | 'hour',
  ups: string,
  variable: string,
  rows: { bucket: number; min: number; max: number; sum: number; count: number }[],
): void {
  const insert = r.db.prepare(
    'INSERT INTO rollups (resolution, ups, var, bucket, min, max, sum, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  );
  r.db.transaction(() => {
    for (const x of rows) insert.run(resolution, ups, variable, x.bucket, x.min, x.max, x.sum, x.count);
  })();
  if (resolution === 'hour') {
    // The 6 h rollups record() keeps alongside the hours (filled here as migration 0007 fills them).
    r.db.exec(`INSERT OR REPLACE INTO rollups_6h (ups, var, bucket, min, max, sum, count)
      SELECT ups, var, (bucket / 21600000) * 21600000, MIN(min), MAX(max), SUM(sum), SUM(count)
      FROM rollups WHERE resolution = 'hour' GROUP BY 1, 2, 3`);
  }
}

/** Point i of a series in the old row shape, for readable assertions. */
function pointAt(s: HistoryResponse['series'][number], i: number) {
  return { at: s.at[i], min: s.min[i], avg: s.avg[i], max: s.max[i] };
}

describe('GET /api/history', () => {
  it('1h reads the 10 s rollups record() keeps (3600 raw readings are more than a chart can use)', async () => {
    const r = await rigWithUps();
    const start = T0 - HOUR;
    for (let i = 0; i <= 3600; i++) {
      r.readings.record(snap('ups1', start + i * 1000, ['OL'], { 'battery.charge': String(i % 100) }));
    }
    const res = await r.app.inject({ url: '/api/history?ups=ups1&var=battery.charge&range=1h', headers: as('viewer') });
    expect(res.statusCode).toBe(200);
    const body = res.json<HistoryResponse>();
    expect(body).toMatchObject({
      ups: 'ups1',
      var: 'battery.charge',
      range: '1h',
      resolution: 'raw',
      bucketMs: 10_000,
    });
    // One shape: the points are in series (columns), not repeated at the top.
    expect(body).not.toHaveProperty('points');
    expect(body.series).toHaveLength(1);
    const s = body.series[0]!;
    expect(s.var).toBe('battery.charge');
    // 360 buckets of 10 readings each, and the bucket of the reading at T0 itself.
    expect(s.at).toHaveLength(361);
    for (const col of [s.min, s.avg, s.max]) expect(col).toHaveLength(361);
    // The bucket holding readings 0..9 (T0 - 1 h is a whole multiple of 10 s), its start in epoch ms.
    expect(pointAt(s, 0)).toEqual({ at: start, min: 0, avg: 4.5, max: 9 });
    expect(pointAt(s, 11)).toEqual({ at: start + 110_000, min: 10, avg: 14.5, max: 19 });
    expect(s.at[1]! - s.at[0]!).toBe(10_000);
  });

  it('24h reads minute rollups; 1y reads hour rollups merged into 6 h buckets (min of mins, weighted avg)', async () => {
    const r = await rigWithUps();
    const dayStart = T0 - 24 * HOUR;
    seedRollups(
      r,
      'minute',
      'ups1',
      'ups.load',
      Array.from({ length: 1440 }, (_, i) => ({
        bucket: dayStart + i * MINUTE,
        min: 10,
        max: 30,
        sum: 1200,
        count: 60,
      })),
    );
    const day = (
      await r.app.inject({ url: '/api/history?ups=ups1&var=ups.load&range=24h', headers: as('viewer') })
    ).json<HistoryResponse>();
    expect(day).toMatchObject({ resolution: 'minute', bucketMs: MINUTE });
    expect(day.series[0]!.at.length).toBe(1440);
    expect(pointAt(day.series[0]!, 5)).toMatchObject({ at: dayStart + 5 * MINUTE, min: 10, avg: 20, max: 30 });

    const yearStart = Math.floor((T0 - 365 * 24 * HOUR) / (6 * HOUR)) * 6 * HOUR;
    const hours = Array.from({ length: 365 * 24 + 6 }, (_, i) => ({
      bucket: yearStart + i * HOUR,
      // Within each 6 h bucket: hour 0 has one reading of 0, the rest 3600 readings of 50 to 100.
      ...(i % 6 === 0 ? { min: 0, max: 0, sum: 0, count: 1 } : { min: 50, max: 100, sum: 270_000, count: 3600 }),
    }));
    seedRollups(r, 'hour', 'ups1', 'ups.load', hours);
    const year = (
      await r.app.inject({ url: '/api/history?ups=ups1&var=ups.load&range=1y', headers: as('viewer') })
    ).json<HistoryResponse>();
    expect(year).toMatchObject({ resolution: 'hour', bucketMs: 6 * HOUR });
    const ys = year.series[0]!;
    expect(ys.at.length).toBeLessThanOrEqual(1500);
    expect(ys.at.length).toBeGreaterThan(1400);
    const p = pointAt(ys, 10);
    expect(p.min).toBe(0);
    expect(p.max).toBe(100);
    expect(p.avg).toBeCloseTo((5 * 270_000) / (5 * 3600 + 1), 6);
    expect(p.at! % (6 * HOUR)).toBe(0);
  });

  it('7d and 30d read hour rollups without merging (168 and 720 points)', async () => {
    const r = await rigWithUps();
    const start = T0 - 30 * 24 * HOUR;
    seedRollups(
      r,
      'hour',
      'ups1',
      'battery.charge',
      Array.from({ length: 30 * 24 }, (_, i) => ({ bucket: start + i * HOUR, min: 90, max: 100, sum: 95, count: 1 })),
    );
    for (const [range, n] of [
      ['7d', 7 * 24],
      ['30d', 30 * 24],
    ] as const) {
      const body = (
        await r.app.inject({ url: `/api/history?ups=ups1&var=battery.charge&range=${range}`, headers: as('viewer') })
      ).json<HistoryResponse>();
      expect(body, range).toMatchObject({ resolution: 'hour', bucketMs: HOUR });
      // The window's first bucket starts at or before `from`, so one more than the range's hours may be included.
      expect(body.series[0]!.at.length, range).toBeGreaterThanOrEqual(n - 1);
      expect(body.series[0]!.at.length, range).toBeLessThanOrEqual(n + 1);
    }
  });

  it('several variables at once, one series each; markers are this UPS’s events in the window', async () => {
    const r = await rigWithUps();
    for (let i = 0; i < 10; i++) {
      r.readings.record(
        snap('ups1', T0 - 600_000 + i * 1000, ['OL'], { 'battery.charge': '90', 'battery.runtime': String(600 + i) }),
      );
    }
    r.events.add({ at: T0 - 2 * HOUR, type: 'ONBATT', ups: 'ups1', message: 'ups1: on battery' });
    const inside = r.events.add({ at: T0 - 300_000, type: 'ONBATT', ups: 'ups1', message: 'ups1: on battery' });
    r.events.add({ at: T0 - 200_000, type: 'ONBATT', ups: 'ups2', message: 'ups2: on battery' });
    const body = (
      await r.app.inject({
        url: '/api/history?ups=ups1&var=battery.charge,battery.runtime&range=1h',
        headers: as('viewer'),
      })
    ).json<HistoryResponse>();
    expect(body.series.map((s) => s.var)).toEqual(['battery.charge', 'battery.runtime']);
    expect(body.series[1]!.avg).toEqual([604.5]); // one 10 s bucket
    expect(body.series[1]!.min).toEqual([600]);
    expect(body.series[1]!.max).toEqual([609]);
    expect(body.markers).toEqual([
      {
        id: inside.id,
        at: new Date(T0 - 300_000).toISOString(),
        type: 'ONBATT',
        severity: 'warning',
        message: 'ups1: on battery',
      },
    ]);
  });

  it('refuses bad input with a typed 400 naming the parameter, an unknown UPS with a 404', async () => {
    const r = await rigWithUps();
    const bad = [
      ['/api/history?ups=ups1&var=battery.charge&range=2h', /range/],
      ['/api/history?ups=ups1&var=Battery!', /var/],
      ['/api/history?ups=ups1', /var/],
      ['/api/history?ups=ups1&var=a,b,c,d,e,f', /var: at most 5 variables/],
      [
        '/api/history?ups=ups1&var=battery.charge&range=1h&from=2026-12-01T00:00:00Z',
        /range: give either range or from/,
      ],
      ['/api/history?ups=ups1&var=battery.charge&to=soon', /to: "soon" is not an ISO 8601 time/],
      ['/api/history.csv?ups=ups1&var=battery.charge&range=1w', /range/],
    ] as const;
    for (const [url, msg] of bad) {
      const res = await r.app.inject({ url, headers: as('viewer') });
      expect(res.statusCode, url).toBe(400);
      expect(res.json<{ error: string }>().error, url).toBe('REQUEST_INVALID');
      expect(res.json<{ message: string }>().message, url).toMatch(msg);
    }
    const missing = await r.app.inject({ url: '/api/history?ups=nope&var=battery.charge', headers: as('viewer') });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<{ message: string }>().message).toBe('ups: no UPS named "nope"');
  });

  it('needs a viewer', async () => {
    const r = await rigWithUps();
    for (const url of ['/api/history?ups=ups1&var=battery.charge', '/api/history.csv?ups=ups1&var=battery.charge']) {
      expect((await r.app.inject({ url })).statusCode, url).toBe(401);
    }
  });
});

describe('GET /api/history.csv', () => {
  it('is a text/csv attachment with the header row at,min,avg,max and one row per point', async () => {
    const r = await rigWithUps();
    r.readings.record(snap('ups1', T0 - 2000, ['OL'], { 'battery.charge': '80' }));
    r.readings.record(snap('ups1', T0 - 1000, ['OL'], { 'battery.charge': '79.5' }));
    const res = await r.app.inject({
      url: '/api/history.csv?ups=ups1&var=battery.charge&range=1h',
      headers: as('viewer'),
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="history-ups1-battery.charge.csv"');
    expect(res.body).toBe(
      [
        'at,min,avg,max',
        // Both readings fall in one 10 s bucket of the 1 h range: the band of the two.
        `${new Date(T0 - 10_000).toISOString()},79.5,79.75,80`,
        '',
      ].join('\r\n'),
    );
  });

  it('with several variables names the variable in a first column', async () => {
    const r = await rigWithUps();
    r.readings.record(snap('ups1', T0 - 1000, ['OL'], { 'battery.charge': '80', 'ups.load': '20' }));
    const res = await r.app.inject({
      url: '/api/history.csv?ups=ups1&var=battery.charge,ups.load&range=1h',
      headers: as('viewer'),
    });
    const at = new Date(T0 - 10_000).toISOString();
    expect(res.body.split('\r\n')).toEqual([
      'var,at,min,avg,max',
      `battery.charge,${at},80,80,80`,
      `ups.load,${at},20,20,20`,
      '',
    ]);
  });
});
