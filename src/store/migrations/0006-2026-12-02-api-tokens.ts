import type { Migration } from './index.js';

/**
 * API tokens for scripts (Home Assistant, cron). A row keeps only the SHA-256 of the token, so a copy of the store
 * lets nobody in; the token itself is shown once, when it is made. `name` is what an admin knows it by.
 */
export const migration: Migration = {
  version: 6,
  name: '2026-12-02 api tokens',
  sql: `
    CREATE TABLE api_tokens (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      scope TEXT NOT NULL CHECK (scope IN ('read', 'operate')),
      token_sha256 TEXT NOT NULL UNIQUE,
      created_at INTEGER NOT NULL,
      created_by TEXT NOT NULL,
      last_used_at INTEGER
    );
  `,
};
