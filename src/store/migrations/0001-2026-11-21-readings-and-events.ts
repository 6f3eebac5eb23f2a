export const migration = {
  version: 1,
  name: '2026-11-21 readings and events',
  sql: `
    CREATE TABLE readings (
      id INTEGER PRIMARY KEY,
      ups TEXT NOT NULL,
      at INTEGER NOT NULL,
      variables TEXT NOT NULL,
      status TEXT NOT NULL,
      comms TEXT NOT NULL
    );
    CREATE INDEX readings_ups_at ON readings (ups, at);

    CREATE TABLE rollups (
      resolution TEXT NOT NULL CHECK (resolution IN ('minute', 'hour')),
      ups TEXT NOT NULL,
      var TEXT NOT NULL,
      bucket INTEGER NOT NULL,
      min REAL NOT NULL,
      max REAL NOT NULL,
      sum REAL NOT NULL,
      count INTEGER NOT NULL,
      PRIMARY KEY (resolution, ups, var, bucket)
    ) WITHOUT ROWID;
    CREATE INDEX rollups_bucket ON rollups (resolution, bucket);

    CREATE TABLE events (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at INTEGER NOT NULL,
      type TEXT NOT NULL,
      ups TEXT NOT NULL,
      message TEXT NOT NULL
    );
    CREATE INDEX events_at ON events (at);
  `,
};
