import type { Migration } from './index.js';

/**
 * The notification queue: every message is written here before it is sent, so a restart or a long network outage
 * loses none. `seq` orders a channel's messages (the next waits for the one before); `id` is the message id the
 * receivers see (idempotency key, email Message-ID), so a resend after a crash can be told apart from a new message.
 * `failing` marks a failure streak, so NOTIFY_FAILED is raised once per streak, not once per retry.
 */
export const migration: Migration = {
  version: 9,
  name: '2026-12-02 notify queue',
  sql: `
    CREATE TABLE notify_queue (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      channel TEXT NOT NULL,
      event TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'expired')),
      attempts INTEGER NOT NULL DEFAULT 0,
      next_at INTEGER NOT NULL,
      failing INTEGER NOT NULL DEFAULT 0,
      last_error TEXT,
      done_at INTEGER
    );
    CREATE INDEX notify_queue_channel_state ON notify_queue (channel, state, seq);
  `,
};
