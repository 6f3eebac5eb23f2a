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

/** The range a resolution is chosen for: raw up to 3 hours, minutes up to 7 days, hours beyond. */
export function resolutionFor(rangeMs: number): Resolution {
  if (rangeMs <= 3 * HOUR) return 'raw';
  if (rangeMs <= 7 * 24 * HOUR) return 'minute';
  return 'hour';
}

/**
 * Readings as they arrive (raw, kept briefly) and their 1-minute and 1-hour rollups with min/avg/max (kept long).
 * Rollups are updated in the same transaction as the raw row, so there is no job that can fall behind or lose data.
 */
export class ReadingsStore {
  private readonly insertRaw;
  private readonly upsertRollup;

  /** Which series a range is read from (raw up to 3 h, minutes up to 7 days, hours beyond). */
  resolutionFor(rangeMs: number): Resolution {
    return resolutionFor(rangeMs);
  }

  constructor(private readonly db: Db) {
    this.insertRaw = db.prepare(
      'INSERT INTO readings (ups, at, variables, status, comms) VALUES (@ups, @at, @variables, @status, @comms)',
    );
    this.upsertRollup = db.prepare(`
      INSERT INTO rollups (resolution, ups, var, bucket, min, max, sum, count)
      VALUES (@resolution, @ups, @var, @bucket, @value, @value, @value, 1)
      ON CONFLICT (resolution, ups, var, bucket) DO UPDATE SET
        min = MIN(min, excluded.min), max = MAX(max, excluded.max), sum = sum + excluded.sum, count = count + 1
    `);
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
    return this.db.transaction(() => ({
      raw: this.db.prepare('DELETE FROM readings WHERE at < ?').run(now - policy.rawMs).changes,
      minute: this.db
        .prepare("DELETE FROM rollups WHERE resolution = 'minute' AND bucket < ?")
        .run(now - policy.minuteMs).changes,
      hour: this.db.prepare("DELETE FROM rollups WHERE resolution = 'hour' AND bucket < ?").run(now - policy.hourMs)
        .changes,
    }))();
  }
}
