import type { Migration } from './index.js';

/**
 * Two more rollups for the history chart, kept by the same transaction as the minute/hour ones:
 * - 10-second rollups (kept as long as the raw readings): the 1 h chart read 3600 raw rows and one JSON per row;
 *   now it reads 360 numeric rows.
 * - 6-hour rollups (kept as long as the hours): the 1 y chart's 1461 points, instead of merging 8760 hour rows.
 * Tables of their own because `rollups` pins its resolutions with a CHECK. Both are filled from what is stored.
 */
export const migration: Migration = {
  version: 7,
  name: '2026-12-02 history rollups',
  sql: `
    CREATE TABLE rollups_10s (
      ups TEXT NOT NULL,
      var TEXT NOT NULL,
      bucket INTEGER NOT NULL,
      min REAL NOT NULL,
      max REAL NOT NULL,
      sum REAL NOT NULL,
      count INTEGER NOT NULL,
      PRIMARY KEY (ups, var, bucket)
    ) WITHOUT ROWID;
    CREATE INDEX rollups_10s_bucket ON rollups_10s (bucket);
    INSERT INTO rollups_10s (ups, var, bucket, min, max, sum, count)
      SELECT r.ups, j.key, (r.at / 10000) * 10000, MIN(CAST(j.value AS REAL)), MAX(CAST(j.value AS REAL)),
        SUM(CAST(j.value AS REAL)), COUNT(*)
      FROM readings r, json_each(r.variables) j
      WHERE j.value <> '' AND j.value NOT GLOB '*[^0-9.eE+-]*'
      GROUP BY 1, 2, 3;

    CREATE TABLE rollups_6h (
      ups TEXT NOT NULL,
      var TEXT NOT NULL,
      bucket INTEGER NOT NULL,
      min REAL NOT NULL,
      max REAL NOT NULL,
      sum REAL NOT NULL,
      count INTEGER NOT NULL,
      PRIMARY KEY (ups, var, bucket)
    ) WITHOUT ROWID;
    CREATE INDEX rollups_6h_bucket ON rollups_6h (bucket);
    INSERT INTO rollups_6h (ups, var, bucket, min, max, sum, count)
      SELECT ups, var, (bucket / 21600000) * 21600000, MIN(min), MAX(max), SUM(sum), SUM(count)
      FROM rollups WHERE resolution = 'hour' GROUP BY 1, 2, 3;
  `,
};
