// Type-only: the JSON the users and tokens routes answer with. The page imports these with `import type`.
import type { WebRole } from '../access.js';

/** One configured user as GET /api/users lists it: never a password or hash. */
export interface WebUserView {
  readonly name: string;
  /** Null: no web login (a NUT-only user). */
  readonly role: WebRole | null;
  /** Whether the user also logs in to the NUT server (has an `upsmon` role). */
  readonly nut: boolean;
  /** `demo`: the admin made at start in demo mode, with the password printed in the log. */
  readonly source: 'config' | 'demo';
}

/** GET /api/users */
export interface UsersResponse {
  readonly users: readonly WebUserView[];
}

export type TokenScope = 'read' | 'operate';

/** One API token as listed: the token text itself is never shown again after it was made. */
export interface TokenView {
  readonly id: string;
  readonly name: string;
  readonly scope: TokenScope;
  /** ISO 8601. */
  readonly createdAt: string;
  readonly createdBy: string;
  /** ISO 8601; null while never used. */
  readonly lastUsedAt: string | null;
}

/** GET /api/tokens */
export interface TokensResponse {
  readonly tokens: readonly TokenView[];
}

/** POST /api/tokens {name, scope} (201): the only time the token text is shown. */
export interface CreatedTokenResponse {
  readonly id: string;
  readonly name: string;
  readonly scope: TokenScope;
  /** `ugt_` + base64url of 32 random bytes; send it as `Authorization: Bearer <token>`. */
  readonly token: string;
}

/** DELETE /api/tokens/:id */
export interface RevokedTokenResponse {
  readonly revoked: string;
}
