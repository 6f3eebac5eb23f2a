import type { Migration } from './index.js';

/** A target's outcome is its own column on the row that closes it; rows written before keep theirs from the detail. */
export const migration: Migration = {
  version: 4,
  name: '2026-12-01 step outcome',
  sql: `
    ALTER TABLE shutdown_steps ADD COLUMN outcome TEXT
      CHECK (outcome IS NULL OR outcome IN ('off', 'already_off', 'hard_off', 'failed', 'dry', 'stopped'));
    UPDATE shutdown_steps SET outcome = substr(detail, 7)
      WHERE action = 'wait' AND detail IN
        ('final:off', 'final:already_off', 'final:hard_off', 'final:failed', 'final:dry', 'final:stopped');
  `,
};
