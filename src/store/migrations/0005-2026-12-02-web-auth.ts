import type { Migration } from './index.js';

/**
 * The console's login sessions and its audit log. A session row keeps only the SHA-256 of the cookie's random id, so
 * a copy of the store logs nobody in; `public_id` is the short name an admin sees and revokes it by. The audit log is
 * append-only: who (null when nobody was logged in), from where, what, and what it answered; never a request body.
 */
export const migration: Migration = {
  version: 5,
  name: '2026-12-02 web sessions and audit log',
  sql: `
    CREATE TABLE web_sessions (
      id_hash TEXT PRIMARY KEY,
      public_id TEXT NOT NULL UNIQUE,
      user TEXT NOT NULL,
      role TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      last_seen_at INTEGER NOT NULL,
      address TEXT NOT NULL,
      user_agent TEXT NOT NULL,
      csrf_token TEXT NOT NULL
    );
    CREATE INDEX web_sessions_user ON web_sessions (user);
    CREATE TABLE audit_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at INTEGER NOT NULL,
      user TEXT,
      address TEXT NOT NULL,
      action TEXT NOT NULL,
      detail TEXT,
      status INTEGER NOT NULL
    );
  `,
};
