import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../store/database.js';
import type { WebRole } from '../access.js';

export interface SessionLimits {
  /** A session unused this long is gone (`web.session_idle_s`). */
  readonly idleMs: number;
  /** A session older than this is gone however busy it is (`web.session_max_s`). */
  readonly maxMs: number;
}

/** A live session as the server sees it; the cookie value itself is never kept. */
export interface Session {
  /** Short, public: what an admin sees and revokes by; never enough to log in. */
  readonly publicId: string;
  readonly user: string;
  readonly role: WebRole;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  readonly address: string;
  readonly userAgent: string;
  readonly csrfToken: string;
}

interface SessionRow {
  readonly public_id: string;
  readonly user: string;
  readonly role: WebRole;
  readonly created_at: number;
  readonly last_seen_at: number;
  readonly address: string;
  readonly user_agent: string;
  readonly csrf_token: string;
}

const COLUMNS = 'public_id, user, role, created_at, last_seen_at, address, user_agent, csrf_token';
/** A user agent is the caller's text: kept short so it cannot grow the store. */
const MAX_USER_AGENT = 200;

const hashOf = (cookieValue: string): string => createHash('sha256').update(cookieValue, 'utf8').digest('hex');

function toSession(r: SessionRow): Session {
  return {
    publicId: r.public_id,
    user: r.user,
    role: r.role,
    createdAt: r.created_at,
    lastSeenAt: r.last_seen_at,
    address: r.address,
    userAgent: r.user_agent,
    csrfToken: r.csrf_token,
  };
}

/**
 * Login sessions in the store (table `web_sessions`). The cookie carries 32 random bytes; the row keeps only their
 * SHA-256, so reading the store does not log anyone in. Expired rows are deleted when met and by `sweep()`.
 */
export class SessionStore {
  private readonly insertStmt;
  private readonly byHashStmt;
  private readonly touchStmt;
  private readonly deleteHashStmt;
  private readonly sweepStmt;

  constructor(
    private readonly db: Db,
    private readonly limits: SessionLimits,
    private readonly now: () => number,
  ) {
    this.insertStmt = db.prepare(
      `INSERT INTO web_sessions (id_hash, ${COLUMNS})
       VALUES (@idHash, @publicId, @user, @role, @at, @at, @address, @userAgent, @csrfToken)`,
    );
    this.byHashStmt = db.prepare(`SELECT ${COLUMNS} FROM web_sessions WHERE id_hash = ?`);
    this.touchStmt = db.prepare('UPDATE web_sessions SET last_seen_at = ? WHERE id_hash = ?');
    this.deleteHashStmt = db.prepare('DELETE FROM web_sessions WHERE id_hash = ?');
    this.sweepStmt = db.prepare('DELETE FROM web_sessions WHERE last_seen_at <= ? OR created_at <= ?');
  }

  /** A new session with a new random id (a login never reuses one); returns the cookie value, shown only here. */
  create(user: string, role: WebRole, address: string, userAgent: string): { cookieValue: string; session: Session } {
    this.sweep();
    const cookieValue = randomBytes(32).toString('base64url');
    const row = {
      idHash: hashOf(cookieValue),
      publicId: randomBytes(6).toString('hex'),
      user,
      role,
      at: this.now(),
      address,
      userAgent: userAgent.slice(0, MAX_USER_AGENT),
      csrfToken: randomBytes(24).toString('base64url'),
    };
    this.insertStmt.run(row);
    return {
      cookieValue,
      session: {
        publicId: row.publicId,
        user,
        role,
        createdAt: row.at,
        lastSeenAt: row.at,
        address,
        userAgent: row.userAgent,
        csrfToken: row.csrfToken,
      },
    };
  }

  /** The live session a cookie names, marked as seen now; null (and the row gone) when it has expired. */
  resolve(cookieValue: string): Session | null {
    const idHash = hashOf(cookieValue);
    const row = this.byHashStmt.get(idHash) as SessionRow | undefined;
    if (!row) return null;
    const now = this.now();
    if (this.expired(row.created_at, row.last_seen_at, now)) {
      this.deleteHashStmt.run(idHash);
      return null;
    }
    this.touchStmt.run(now, idHash);
    return toSession({ ...row, last_seen_at: now });
  }

  /** Logout: the session a cookie names is gone. */
  end(cookieValue: string): void {
    this.deleteHashStmt.run(hashOf(cookieValue));
  }

  /** Live sessions, newest first. */
  list(): Session[] {
    this.sweep();
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM web_sessions ORDER BY created_at DESC, public_id`)
      .all() as SessionRow[];
    return rows.map(toSession);
  }

  /** Revokes a session by its public id; false when there is none. */
  revoke(publicId: string): boolean {
    return this.db.prepare('DELETE FROM web_sessions WHERE public_id = ?').run(publicId).changes > 0;
  }

  /** Deletes every expired session; returns how many. */
  sweep(): number {
    const now = this.now();
    return this.sweepStmt.run(now - this.limits.idleMs, now - this.limits.maxMs).changes;
  }

  private expired(createdAt: number, lastSeenAt: number, now: number): boolean {
    return now - lastSeenAt >= this.limits.idleMs || now - createdAt >= this.limits.maxMs;
  }
}
