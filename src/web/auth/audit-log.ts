import type { Db } from '../../store/database.js';
import type { AuditEntry } from '../api-types/auth.js';

/** One thing to write down; never a request body, password or token. */
export interface AuditRecord {
  readonly user: string | null;
  readonly address: string;
  /** 'login', 'login-failed', 'logout', 'policy-saved', or `METHOD /route`. */
  readonly action: string;
  readonly detail?: string | null;
  readonly status: number;
}

interface AuditRow {
  readonly id: number;
  readonly at: number;
  readonly user: string | null;
  readonly address: string;
  readonly action: string;
  readonly detail: string | null;
  readonly status: number;
}

const MAX_TEXT = 500;
const clip = (s: string): string => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);

/** The audit log (table `audit_log`): who did what, when, from where. Anything may call `record`. */
export class AuditLog {
  private readonly insertStmt;

  constructor(
    private readonly db: Db,
    private readonly now: () => number,
  ) {
    this.insertStmt = db.prepare(
      'INSERT INTO audit_log (at, user, address, action, detail, status) VALUES (?, ?, ?, ?, ?, ?)',
    );
  }

  record(r: AuditRecord): number {
    const detail = r.detail === undefined || r.detail === null ? null : clip(r.detail);
    const info = this.insertStmt.run(this.now(), r.user, clip(r.address), clip(r.action), detail, r.status);
    return Number(info.lastInsertRowid);
  }

  /**
   * Keeps the newest `maxRows` rows: failed logins from a flood are rows too, and the log must not fill the disk the
   * history and the journal share. Returns how many went.
   */
  prune(maxRows: number): number {
    const info = this.db
      .prepare('DELETE FROM audit_log WHERE id <= (SELECT id FROM audit_log ORDER BY id DESC LIMIT 1 OFFSET ?)')
      .run(maxRows);
    return info.changes;
  }

  /** Newest first, rows with an id below `before` (all when null). */
  list(before: number | null, limit: number): AuditEntry[] {
    const rows = this.db
      .prepare(
        'SELECT id, at, user, address, action, detail, status FROM audit_log WHERE id < ? ORDER BY id DESC LIMIT ?',
      )
      .all(before ?? Number.MAX_SAFE_INTEGER, limit) as AuditRow[];
    return rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() }));
  }
}
