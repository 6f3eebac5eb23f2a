import type { NewUpsEvent, UpsEvent, UpsEventType } from '../ups/events.js';
import type { Db } from './database.js';

export class EventsStore {
  private readonly insertStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare('INSERT INTO events (at, type, ups, message) VALUES (@at, @type, @ups, @message)');
  }

  /** Written before anyone acts on it; returns the event with its id. */
  add(event: NewUpsEvent): UpsEvent {
    const info = this.insertStmt.run(event);
    return { ...event, id: Number(info.lastInsertRowid) };
  }

  /** Events with an id greater than `sinceId`, oldest first. */
  list(sinceId: number, limit: number): UpsEvent[] {
    return this.db
      .prepare('SELECT id, at, type, ups, message FROM events WHERE id > ? ORDER BY id LIMIT ?')
      .all(sinceId, limit) as UpsEvent[];
  }

  /** The newest `limit` events, oldest first (for the page's first paint). */
  recent(limit: number): UpsEvent[] {
    const rows = this.db
      .prepare('SELECT id, at, type, ups, message FROM events ORDER BY id DESC LIMIT ?')
      .all(limit) as UpsEvent[];
    return rows.reverse();
  }

  countByType(type: UpsEventType): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM events WHERE type = ?').get(type) as { n: number }).n;
  }
}
