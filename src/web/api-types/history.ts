// Type-only: GET /api/history. The page imports these with `import type`. GET /api/history.csv has the same rows.

export type HistoryRange = '1h' | '24h' | '7d' | '30d' | '1y';
/**
 * Which series the points were read from: `raw` is the raw readings, one point each when at most 1500 are in the window,
 * else their 10 s rollups (the 1 h range: 361 points, `bucketMs` 10000); `hour` over a year reads the 6 h rollups.
 */
export type HistoryResolution = 'raw' | 'minute' | 'hour';

/** An event in the window, as a marker on the chart. */
export interface HistoryMarkerView {
  readonly id: number;
  readonly at: string;
  readonly type: string;
  readonly severity: 'info' | 'warning' | 'critical';
  readonly message: string;
}

/**
 * One variable's band in columns (what uPlot draws from): point i is `at[i]` with `min[i]`/`avg[i]`/`max[i]` over its
 * bucket (all three equal for a raw reading). Columns of numbers serialise several times faster than one object with
 * an ISO string per point, and a year's band is thousands of points.
 */
export interface HistorySeriesView {
  readonly var: string;
  /** Epoch milliseconds of each bucket's start, ascending. */
  readonly at: readonly number[];
  readonly min: readonly number[];
  readonly avg: readonly number[];
  readonly max: readonly number[];
}

/**
 * GET /api/history?ups&var&range (or from/to). `series` has one entry per variable asked for
 * (`var=battery.charge,battery.runtime`), in the order asked; `var` is the first.
 */
export interface HistoryResponse {
  readonly ups: string;
  readonly var: string;
  readonly from: string;
  readonly to: string;
  readonly range: HistoryRange | null;
  readonly resolution: HistoryResolution;
  /** Milliseconds each point covers. */
  readonly bucketMs: number;
  readonly series: readonly HistorySeriesView[];
  readonly markers: readonly HistoryMarkerView[];
}
