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

  /** This UPS's events of these types with an id above `afterId`, oldest first (a primary-key range read). */
  since(afterId: number, ups: string, types: readonly UpsEventType[]): UpsEvent[] {
    const marks = types.map(() => '?').join(', ');
    return this.db
      .prepare(
        `SELECT id, at, type, ups, message FROM events WHERE id > ? AND ups = ? AND type IN (${marks}) ORDER BY id`,
      )
      .all(afterId, ups, ...types) as UpsEvent[];
  }

  /**
   * One page of events, newest first, with an id below `before` (all when null), filtered by type and UPS. One more
   * row than asked for is read, so the caller knows whether an older page exists without a second query.
   */
  page(filter: EventFilter, before: number | null, limit: number): { events: UpsEvent[]; more: boolean } {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (before !== null) {
      where.push('id < ?');
      args.push(before);
    }
    if (filter.ups !== undefined) {
      where.push('ups = ?');
      args.push(filter.ups);
    }
    if (filter.types !== undefined && filter.types.length > 0) {
      where.push(`type IN (${filter.types.map(() => '?').join(', ')})`);
      args.push(...filter.types);
    }
    const rows = this.db
      .prepare(
        `SELECT id, at, type, ups, message FROM events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY id DESC LIMIT ?`,
      )
      .all(...args, limit + 1) as UpsEvent[];
    return { events: rows.slice(0, limit), more: rows.length > limit };
  }

  /** A UPS's events between two times (ms, inclusive), oldest first, at most `limit`: the history chart's markers. */
  between(ups: string, from: number, to: number, limit: number): UpsEvent[] {
    return this.db
      .prepare(
        'SELECT id, at, type, ups, message FROM events WHERE at >= ? AND at <= ? AND ups = ? ORDER BY at, id LIMIT ?',
      )
      .all(from, to, ups, limit) as UpsEvent[];
  }
}

export interface EventFilter {
  readonly ups?: string;
  readonly types?: readonly UpsEventType[];
}
