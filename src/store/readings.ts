import type { UpsSnapshot } from '../ups/events.js';
import type { Db } from './database.js';

export type Resolution = 'raw' | 'minute' | 'hour';

export interface HistoryPoint {
  readonly at: number;
  readonly min: number;
  readonly avg: number;
  readonly max: number;
}

export interface RetentionPolicy {
  readonly rawMs: number;
  readonly minuteMs: number;
  readonly hourMs: number;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
/** The width of the finest rollup (table rollups_10s, kept as long as raw readings): what the 1 h chart draws. */
const TEN_SECONDS = 10_000;
/** The width of the coarsest rollup (table rollups_6h, kept as long as hours): what the 1 y chart draws. */
const SIX_HOURS = 6 * HOUR;

/** The rollups kept beside `rollups` in tables of their own (migration 0007), each by its bucket width. */
const EXTRA_ROLLUPS = [
  ['rollups_10s', TEN_SECONDS],
  ['rollups_6h', SIX_HOURS],
] as const;

/**
 * The range a resolution is chosen for: raw up to 3 hours, minutes up to 2 days (the 24 h chart), hours beyond (7 d,
 * 30 d, 1 y). Each stays inside what retention keeps of it (48 h raw, 90 days of minutes, a year of hours).
 */
export function resolutionFor(rangeMs: number): Resolution {
  if (rangeMs <= 3 * HOUR) return 'raw';
  if (rangeMs <= 2 * 24 * HOUR) return 'minute';
  return 'hour';
}

/** The width of one stored row of a resolution (readings arrive about once a second). */
const RESOLUTION_MS: Readonly<Record<Resolution, number>> = { raw: 1000, minute: MINUTE, hour: HOUR };

/**
 * Points over a window, each min/avg/max over `bucketMs`, read in one indexed query, in columns (point i is `at[i]`
 * with `min[i]`, `avg[i]`, `max[i]`): what the chart draws from and what serialises fastest.
 */
export interface HistorySeries {
  readonly resolution: Resolution;
  readonly bucketMs: number;
  readonly at: number[];
  readonly min: number[];
  readonly avg: number[];
  readonly max: number[];
}

/** Rows of [at, min, avg, max] as columns. */
function columns(resolution: Resolution, bucketMs: number, rows: readonly number[][]): HistorySeries {
  const n = rows.length;
  const at = new Array<number>(n);
  const min = new Array<number>(n);
  const avg = new Array<number>(n);
  const max = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    at[i] = r[0]!;
    min[i] = r[1]!;
    avg[i] = r[2]!;
    max[i] = r[3]!;
  }
  return { resolution, bucketMs, at, min, avg, max };
}

/** The JSON path of a variable in a raw reading (names are [a-z0-9.]; a quote would end the key). */
const jsonPath = (variable: string): string => `$."${variable.replace(/"/g, '')}"`;

/**
 * Readings as they arrive (raw, kept briefly) and their 1-minute and 1-hour rollups with min/avg/max (kept long),
 * plus the 10 s (kept as raw is) and 6 h (kept as hours are) rollups the 1 h and 1 y charts read.
 * Rollups are updated in the same transaction as the raw row, so there is no job that can fall behind or lose data.
 */
export class ReadingsStore {
  private readonly insertRaw;
  private readonly upsertRollup;
  private readonly upsertExtra;
  private readonly tenSecondBuckets;
  private readonly rawRows;
  private readonly rollupRows;
  private readonly rollupBuckets;
  private readonly sixHourBuckets;
  private readonly sixHourRows;

  /** Which series a range is read from (raw up to 3 h, minutes up to 2 days, hours beyond). */
  resolutionFor(rangeMs: number): Resolution {
    return resolutionFor(rangeMs);
  }

  constructor(private readonly db: Db) {
    // Raw rows are read only for windows of up to 1500 readings (one json_extract each); longer ones read rollups.
    // The series statements return bare rows ([at, min, avg, max]): no object per row, turned into columns at once.
    this.rawRows = db
      .prepare(
        `SELECT at, v, v, v FROM (
           SELECT at, CAST(json_extract(variables, @path) AS REAL) AS v FROM readings
           WHERE ups = @ups AND at >= @from AND at <= @to
         ) WHERE v IS NOT NULL ORDER BY at`,
      )
      .raw();
    this.rollupRows = db
      .prepare(
        `SELECT bucket, min, sum / count, max FROM rollups
         WHERE resolution = @resolution AND ups = @ups AND var = @var AND bucket >= @from AND bucket <= @to
         ORDER BY bucket`,
      )
      .raw();
    this.rollupBuckets = db
      .prepare(
        `SELECT CAST(bucket / @step AS INTEGER) * @step AS at, MIN(min), SUM(sum) / SUM(count), MAX(max)
         FROM rollups WHERE resolution = @resolution AND ups = @ups AND var = @var AND bucket >= @from AND bucket <= @to
         GROUP BY 1 ORDER BY 1`,
      )
      .raw();
    this.tenSecondBuckets = db
      .prepare(
        `SELECT CAST(bucket / @step AS INTEGER) * @step AS at, MIN(min), SUM(sum) / SUM(count), MAX(max)
         FROM rollups_10s WHERE ups = @ups AND var = @var AND bucket >= @from AND bucket <= @to
         GROUP BY 1 ORDER BY 1`,
      )
      .raw();
    this.sixHourBuckets = db
      .prepare(
        `SELECT CAST(bucket / @step AS INTEGER) * @step AS at, MIN(min), SUM(sum) / SUM(count), MAX(max)
         FROM rollups_6h WHERE ups = @ups AND var = @var AND bucket >= @from AND bucket <= @to
         GROUP BY 1 ORDER BY 1`,
      )
      .raw();
    // The 1 y chart's buckets are the stored ones: a range read with no GROUP BY (its temp b-tree was a third of it).
    this.sixHourRows = db
      .prepare(
        `SELECT bucket, min, sum / count, max FROM rollups_6h
         WHERE ups = @ups AND var = @var AND bucket >= @from AND bucket <= @to ORDER BY bucket`,
      )
      .raw();
    this.insertRaw = db.prepare(
      'INSERT INTO readings (ups, at, variables, status, comms) VALUES (@ups, @at, @variables, @status, @comms)',
    );
    this.upsertRollup = db.prepare(`
      INSERT INTO rollups (resolution, ups, var, bucket, min, max, sum, count)
      VALUES (@resolution, @ups, @var, @bucket, @value, @value, @value, 1)
      ON CONFLICT (resolution, ups, var, bucket) DO UPDATE SET
        min = MIN(min, excluded.min), max = MAX(max, excluded.max), sum = sum + excluded.sum, count = count + 1
    `);
    this.upsertExtra = EXTRA_ROLLUPS.map(
      ([table, size]) =>
        [
          db.prepare(`
            INSERT INTO ${table} (ups, var, bucket, min, max, sum, count) VALUES (@ups, @var, @bucket, @value, @value, @value, 1)
            ON CONFLICT (ups, var, bucket) DO UPDATE SET
              min = MIN(min, excluded.min), max = MAX(max, excluded.max), sum = sum + excluded.sum, count = count + 1
          `),
          size,
        ] as const,
    );
  }

  readonly record = (snapshot: UpsSnapshot): void => {
    this.db.transaction(() => {
      this.insertRaw.run({
        ups: snapshot.ups,
        at: snapshot.at,
        variables: JSON.stringify(snapshot.variables),
        status: snapshot.status.join(' '),
        comms: snapshot.comms,
      });
      for (const [name, text] of Object.entries(snapshot.variables)) {
        const value = Number(text);
        if (text === '' || !Number.isFinite(value)) continue;
        for (const [resolution, size] of [
          ['minute', MINUTE],
          ['hour', HOUR],
        ] as const) {
          this.upsertRollup.run({
            resolution,
            ups: snapshot.ups,
            var: name,
            bucket: Math.floor(snapshot.at / size) * size,
            value,
          });
        }
        for (const [upsert, size] of this.upsertExtra) {
          upsert.run({ ups: snapshot.ups, var: name, bucket: Math.floor(snapshot.at / size) * size, value });
        }
      }
    })();
  };

  history(
    ups: string,
    variable: string,
    from: number,
    to: number,
    resolution = resolutionFor(to - from),
  ): HistoryPoint[] {
    if (resolution === 'raw') {
      const rows = this.db
        .prepare(
          `SELECT at, CAST(json_extract(variables, '$."' || @var || '"') AS REAL) AS v FROM readings
           WHERE ups = @ups AND at >= @from AND at <= @to AND json_extract(variables, '$."' || @var || '"') IS NOT NULL
           ORDER BY at`,
        )
        .all({ ups, var: variable.replace(/"/g, ''), from, to }) as { at: number; v: number }[];
      return rows.map((r) => ({ at: r.at, min: r.v, avg: r.v, max: r.v }));
    }
    const rows = this.db
      .prepare(
        `SELECT bucket AS at, min, max, sum, count FROM rollups
         WHERE resolution = @resolution AND ups = @ups AND var = @var AND bucket >= @from AND bucket <= @to
         ORDER BY bucket`,
      )
      .all({ resolution, ups, var: variable, from: from - (resolution === 'hour' ? HOUR : MINUTE), to }) as {
      at: number;
      min: number;
      max: number;
      sum: number;
      count: number;
    }[];
    return rows.map((r) => ({ at: r.at, min: r.min, avg: r.sum / r.count, max: r.max }));
  }

  /**
   * At most about `maxPoints` points over [from, to]: read from the resolution the range calls for and, when that holds
   * more rows than the chart can use, merged further in SQL into buckets a whole number of rows wide (min of mins, max
   * of maxes, sum over counts), so the answer stays small and the query stays one range read of its index.
   */
  series(ups: string, variable: string, from: number, to: number, maxPoints: number): HistorySeries {
    const resolution = resolutionFor(to - from);
    const rowMs = RESOLUTION_MS[resolution];
    const stored = Math.max(1, Math.ceil((to - from) / rowMs));
    let bucketMs = rowMs * Math.max(1, Math.ceil(stored / Math.max(1, maxPoints)));
    let rows: unknown[];
    if (resolution === 'raw' && bucketMs === rowMs) {
      rows = this.rawRows.all({ ups, path: jsonPath(variable), from, to });
    } else if (resolution === 'raw') {
      // More raw readings than the chart can use (the 1 h chart): whole 10 s rollups, not a JSON parse per reading.
      bucketMs = Math.ceil(bucketMs / TEN_SECONDS) * TEN_SECONDS;
      rows = this.tenSecondBuckets.all({ ups, var: variable, from: from - TEN_SECONDS, to, step: bucketMs });
    } else if (resolution === 'hour' && bucketMs % SIX_HOURS === 0) {
      // Whole 6 h buckets (the 1 y chart): a sixth of the rows the hour rollups would take.
      const args = { ups, var: variable, from: from - SIX_HOURS, to };
      rows = bucketMs === SIX_HOURS ? this.sixHourRows.all(args) : this.sixHourBuckets.all({ ...args, step: bucketMs });
    } else {
      const args = { resolution, ups, var: variable, from: from - rowMs, to };
      rows = bucketMs === rowMs ? this.rollupRows.all(args) : this.rollupBuckets.all({ ...args, step: bucketMs });
    }
    return columns(resolution, bucketMs, rows as number[][]);
  }

  latest(ups: string): UpsSnapshot | undefined {
    const row = this.db
      .prepare('SELECT ups, at, variables, status, comms FROM readings WHERE ups = ? ORDER BY at DESC, id DESC LIMIT 1')
      .get(ups) as
      { ups: string; at: number; variables: string; status: string; comms: UpsSnapshot['comms'] } | undefined;
    if (!row) return undefined;
    return {
      ups: row.ups,
      at: row.at,
      variables: JSON.parse(row.variables) as Record<string, string>,
      status: row.status === '' ? [] : row.status.split(' '),
      comms: row.comms,
      lastContactAt: row.at,
    };
  }

  /** Deletes what is past its retention; returns the rows removed per kind. */
  prune(now: number, policy: RetentionPolicy): { raw: number; minute: number; hour: number } {
    return this.db.transaction(() => {
      // The 10 s rollups go with the raw readings they summarise (counted as readings are: per reading, not per row).
      this.db.prepare('DELETE FROM rollups_10s WHERE bucket < ?').run(now - policy.rawMs - TEN_SECONDS);
      return {
        raw: this.db.prepare('DELETE FROM readings WHERE at < ?').run(now - policy.rawMs).changes,
        minute: this.db
          .prepare("DELETE FROM rollups WHERE resolution = 'minute' AND bucket < ?")
          .run(now - policy.minuteMs).changes,
        hour:
          this.db.prepare("DELETE FROM rollups WHERE resolution = 'hour' AND bucket < ?").run(now - policy.hourMs)
            .changes +
          // A 6 h bucket goes once all of its hours are past the retention.
          this.db.prepare('DELETE FROM rollups_6h WHERE bucket < ?').run(now - policy.hourMs - SIX_HOURS).changes,
      };
    })();
  }
}
