import { createHash, randomBytes } from 'node:crypto';
import { ErrorCode, UpsguardError } from '../../errors.js';
import type { Db } from '../../store/database.js';
import type { Principal, WebRole } from '../access.js';
import type { TokenScope, TokenView } from '../api-types/users.js';

export const TOKEN_PREFIX = 'ugt_';
const TOKEN_BYTES = 32;
/** `ugt_` + base64url of 32 bytes (43 characters, no padding). */
const TOKEN_SHAPE = /^ugt_[A-Za-z0-9_-]{43}$/;
const NAME_SHAPE = /^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/;
/** A token used all day long (a poller every few seconds) is written down at most this often. */
const LAST_USED_RESOLUTION_MS = 60_000;

const ROLE_OF: Readonly<Record<TokenScope, WebRole>> = { read: 'viewer', operate: 'operator' };

interface Row {
  id: string;
  name: string;
  scope: TokenScope;
  created_at: number;
  created_by: string;
  last_used_at: number | null;
}

const sha256 = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');
const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * API tokens for scripts: `Authorization: Bearer ugt_…`. The store keeps the SHA-256 of each token, never the token
 * (a token is 256 random bits, so a fast hash is enough: there is nothing to guess); the token text is returned once,
 * by create. Scope `read` acts as a viewer, `operate` as an operator; no token is an admin.
 */
export class TokenStore {
  constructor(
    private readonly db: Db,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new token; the returned text is the only copy there will ever be. */
  create(name: string, scope: TokenScope, createdBy: string): { id: string; token: string } {
    if (!NAME_SHAPE.test(name)) {
      throw new UpsguardError(
        ErrorCode.RequestInvalid,
        'a token name is 1 to 64 letters, digits, spaces, dots, dashes or underscores, starting with a letter or digit',
      );
    }
    if (!(scope in ROLE_OF)) throw new UpsguardError(ErrorCode.RequestInvalid, 'a token scope is read or operate');
    if (this.db.prepare('SELECT 1 FROM api_tokens WHERE name = ?').get(name) !== undefined) {
      throw new UpsguardError(
        ErrorCode.RequestInvalid,
        `a token named ${JSON.stringify(name)} exists; revoke it first`,
      );
    }
    const id = randomBytes(9).toString('base64url');
    const token = TOKEN_PREFIX + randomBytes(TOKEN_BYTES).toString('base64url');
    this.db
      .prepare(
        'INSERT INTO api_tokens (id, name, scope, token_sha256, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)',
      )
      .run(id, name, scope, sha256(token), this.now(), createdBy);
    return { id, token };
  }

  /** Every token, oldest first, without its text or hash. */
  list(): TokenView[] {
    const rows = this.db
      .prepare(
        'SELECT id, name, scope, created_at, created_by, last_used_at FROM api_tokens ORDER BY created_at, rowid',
      )
      .all() as Row[];
    return rows.map(view);
  }

  /** The revoked token's view; a typed NotFound when there is no such token. */
  revoke(id: string): TokenView {
    const row = this.db
      .prepare('SELECT id, name, scope, created_at, created_by, last_used_at FROM api_tokens WHERE id = ?')
      .get(id) as Row | undefined;
    if (row === undefined) throw new UpsguardError(ErrorCode.NotFound, 'no such token');
    this.db.prepare('DELETE FROM api_tokens WHERE id = ?').run(id);
    return view(row);
  }

  /**
   * Who the bearer of this token is (the token's name, as a viewer or an operator), or null for a token that is
   * malformed, unknown or revoked. Accepts the token or the whole `Bearer …` header value.
   */
  verifyToken(bearer: string): Principal | null {
    const token = bearer.startsWith('Bearer ') ? bearer.slice('Bearer '.length).trim() : bearer;
    if (!TOKEN_SHAPE.test(token)) return null;
    const row = this.db
      .prepare('SELECT id, name, scope, last_used_at FROM api_tokens WHERE token_sha256 = ?')
      .get(sha256(token)) as Pick<Row, 'id' | 'name' | 'scope' | 'last_used_at'> | undefined;
    if (row === undefined) return null;
    const now = this.now();
    if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_RESOLUTION_MS) {
      this.db.prepare('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(now, row.id);
    }
    return { name: row.name, role: ROLE_OF[row.scope], via: 'token', id: row.id };
  }
}

function view(r: Row): TokenView {
  return {
    id: r.id,
    name: r.name,
    scope: r.scope,
    createdAt: new Date(r.created_at).toISOString(),
    createdBy: r.created_by,
    lastUsedAt: iso(r.last_used_at),
  };
}
