import type { Migration } from './index.js';

/** Shutdown runs and their journaled steps, learned durations, and the simulated cluster's state. */
export const migration: Migration = {
  version: 2,
  name: '2026-11-21 shutdown runs',
  sql: `
    CREATE TABLE shutdown_runs (
      id INTEGER PRIMARY KEY,
      plan TEXT NOT NULL,
      mode TEXT NOT NULL CHECK (mode IN ('dry', 'real')),
      reason TEXT NOT NULL,
      status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'aborted', 'failed')),
      started_at INTEGER NOT NULL,
      finished_at INTEGER,
      estimate_s REAL,
      runtime_left_s REAL,
      subset TEXT,
      plan_json TEXT NOT NULL,
      passed_ponr INTEGER NOT NULL DEFAULT 0,
      summary TEXT
    );
    CREATE INDEX shutdown_runs_status ON shutdown_runs (status);
    CREATE TABLE shutdown_steps (
      id INTEGER PRIMARY KEY,
      run_id INTEGER NOT NULL REFERENCES shutdown_runs (id),
      phase TEXT NOT NULL,
      target TEXT NOT NULL,
      driver TEXT NOT NULL,
      action TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      finished_at INTEGER,
      result TEXT,
      error TEXT,
      detail TEXT
    );
    CREATE INDEX shutdown_steps_run ON shutdown_steps (run_id, id);
    CREATE TABLE target_durations (
      id INTEGER PRIMARY KEY,
      target TEXT NOT NULL,
      source TEXT NOT NULL CHECK (source IN ('run', 'dry')),
      duration_ms INTEGER NOT NULL,
      at INTEGER NOT NULL
    );
    CREATE INDEX target_durations_target ON target_durations (target, id);
    CREATE TABLE sim_cluster_state (
      name TEXT PRIMARY KEY,
      state TEXT NOT NULL
    );
  `,
};
