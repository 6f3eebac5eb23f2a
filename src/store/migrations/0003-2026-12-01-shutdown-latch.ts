import type { Migration } from './index.js';

/**
 * The "tripped" latch: set when an outage starts the real run, released only once mains has returned and held, so a
 * restart in the same outage never starts a second run. One row or none.
 */
export const migration: Migration = {
  version: 3,
  name: '2026-12-01 shutdown latch',
  sql: `
    CREATE TABLE shutdown_latch (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      tripped_at INTEGER NOT NULL,
      reason TEXT NOT NULL
    );
  `,
};
