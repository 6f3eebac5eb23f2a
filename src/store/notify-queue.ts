import type { UpsEvent } from '../ups/events.js';
import type { Db } from './database.js';

export type QueuedState = 'pending' | 'sent' | 'expired';

/** One message to one channel, as the queue keeps it. */
export interface QueuedMessage {
  readonly seq: number;
  /** What receivers see as the idempotency key. */
  readonly id: string;
  readonly channel: string;
  readonly event: UpsEvent;
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly state: QueuedState;
  readonly attempts: number;
  readonly nextAt: number;
  /** Whether the last attempt failed (a failure streak is on). */
  readonly failing: boolean;
  readonly lastError: string | null;
  readonly doneAt: number | null;
}

export interface ChannelQueueStats {
  readonly channel: string;
  readonly pending: number;
  /** Pending messages whose last attempt failed (at most the head, as a channel sends in order). */
  readonly failing: number;
  readonly expired: number;
  readonly lastDeliveredAt: number | null;
  readonly lastError: string | null;
  readonly oldestPendingAt: number | null;
}

interface Row {
  seq: number;
  id: string;
  channel: string;
  event: string;
  created_at: number;
  expires_at: number;
  state: QueuedState;
  attempts: number;
  next_at: number;
  failing: number;
  last_error: string | null;
  done_at: number | null;
}

const COLUMNS =
  'seq, id, channel, event, created_at, expires_at, state, attempts, next_at, failing, last_error, done_at';

function fromRow(r: Row): QueuedMessage {
  return {
    seq: r.seq,
    id: r.id,
    channel: r.channel,
    event: JSON.parse(r.event) as UpsEvent,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    state: r.state,
    attempts: r.attempts,
    nextAt: r.next_at,
    failing: r.failing === 1,
    lastError: r.last_error,
    doneAt: r.done_at,
  };
}

/**
 * The notification queue in the store. Each change is one statement (one transaction), written before the caller
 * acts: a message is in the queue before it is sent, and marked sent as soon as the receiver accepted it.
 */
export class NotifyQueue {
  constructor(private readonly db: Db) {}

  enqueue(m: { id: string; channel: string; event: UpsEvent; now: number; expiresAt: number }): QueuedMessage {
    const row = this.db
      .prepare(
        `INSERT INTO notify_queue (id, channel, event, created_at, expires_at, state, next_at)
         VALUES (?, ?, ?, ?, ?, 'pending', ?) RETURNING ${COLUMNS}`,
      )
      .get(m.id, m.channel, JSON.stringify(m.event), m.now, m.expiresAt, m.now) as Row;
    return fromRow(row);
  }

  /** The channel's oldest pending message: the only one it may send now. */
  head(channel: string): QueuedMessage | null {
    const row = this.db
      .prepare(`SELECT ${COLUMNS} FROM notify_queue WHERE channel = ? AND state = 'pending' ORDER BY seq LIMIT 1`)
      .get(channel) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  /** Channels with something pending (after a restart, also those no longer configured). */
  pendingChannels(): string[] {
    return (
      this.db.prepare(`SELECT DISTINCT channel FROM notify_queue WHERE state = 'pending'`).all() as {
        channel: string;
      }[]
    ).map((r) => r.channel);
  }

  get(id: string): QueuedMessage | null {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM notify_queue WHERE id = ?`).get(id) as Row | undefined;
    return row ? fromRow(row) : null;
  }

  markSent(id: string, now: number): void {
    this.db
      .prepare(`UPDATE notify_queue SET state = 'sent', done_at = ?, failing = 0, attempts = attempts + 1 WHERE id = ?`)
      .run(now, id);
  }

  /** Records a failed attempt; returns whether it began a failure streak (the one NOTIFY_FAILED to raise). */
  markFailed(id: string, nextAt: number, error: string): boolean {
    const before = this.db.prepare('SELECT failing FROM notify_queue WHERE id = ?').pluck().get(id) as
      number | undefined;
    this.db
      .prepare('UPDATE notify_queue SET attempts = attempts + 1, next_at = ?, failing = 1, last_error = ? WHERE id = ?')
      .run(nextAt, error.slice(0, 500), id);
    return before === 0;
  }

  markExpired(id: string, now: number): void {
    this.db.prepare(`UPDATE notify_queue SET state = 'expired', done_at = ? WHERE id = ?`).run(now, id);
  }

  /** Per channel: what waits, what fails, when the last message got through. */
  stats(): ChannelQueueStats[] {
    const rows = this.db
      .prepare(
        `SELECT channel,
           SUM(state = 'pending') AS pending,
           SUM(state = 'pending' AND failing = 1) AS failing,
           SUM(state = 'expired') AS expired,
           MAX(CASE WHEN state = 'sent' THEN done_at END) AS last_delivered_at,
           MIN(CASE WHEN state = 'pending' THEN created_at END) AS oldest_pending_at
         FROM notify_queue GROUP BY channel ORDER BY channel`,
      )
      .all() as {
      channel: string;
      pending: number;
      failing: number;
      expired: number;
      last_delivered_at: number | null;
      oldest_pending_at: number | null;
    }[];
    const lastError = this.db.prepare(
      `SELECT last_error FROM notify_queue WHERE channel = ? AND last_error IS NOT NULL ORDER BY seq DESC LIMIT 1`,
    );
    return rows.map((r) => ({
      channel: r.channel,
      pending: r.pending,
      failing: r.failing,
      expired: r.expired,
      lastDeliveredAt: r.last_delivered_at,
      lastError: (lastError.pluck().get(r.channel) as string | undefined) ?? null,
      oldestPendingAt: r.oldest_pending_at,
    }));
  }

  /** The newest messages, newest first (the page's queue view). */
  recent(limit: number): QueuedMessage[] {
    return (this.db.prepare(`SELECT ${COLUMNS} FROM notify_queue ORDER BY seq DESC LIMIT ?`).all(limit) as Row[]).map(
      fromRow,
    );
  }

  /** Forgets delivered and expired messages finished before `before`; pending ones are never pruned. */
  prune(before: number): number {
    return this.db.prepare(`DELETE FROM notify_queue WHERE state != 'pending' AND done_at < ?`).run(before).changes;
  }
}
