import type { Migration } from './index.js';

/**
 * The restore after an outage. `run_targets_before`: the power (and platform) state of every target a real run
 * covers, written before the run acts, so the restore knows what was running. `restores`: one row per outage run once
 * its restore begins, with where it stands; its steps are journaled on the outage run itself (phases `(restore) …`).
 */
export const migration: Migration = {
  version: 8,
  name: '2026-12-02 restore',
  sql: `
    CREATE TABLE run_targets_before (
      run_id INTEGER NOT NULL REFERENCES shutdown_runs (id),
      target TEXT NOT NULL,
      driver TEXT NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('vm', 'host')),
      host TEXT,
      phase TEXT NOT NULL,
      power TEXT NOT NULL,
      platform_json TEXT,
      at INTEGER NOT NULL,
      PRIMARY KEY (run_id, target)
    );
    CREATE TABLE restores (
      run_id INTEGER PRIMARY KEY REFERENCES shutdown_runs (id),
      status TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'restored', 'incomplete')),
      mains_back_at INTEGER,
      started_at INTEGER NOT NULL,
      finished_at INTEGER,
      summary TEXT
    );
  `,
};
