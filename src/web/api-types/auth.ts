import type { WebRole } from '../access.js';
import type { DecisionResponse } from './decision.js';
import type { StatusResponse } from './status.js';

// Response bodies of the login, session and audit endpoints. A type-only module: the page imports it with
// `import type`, so nothing here may be a value.

/** Who is calling, as POST /api/login and GET /api/me answer it. */
export interface Me {
  readonly user: string;
  readonly role: WebRole;
  /** Sent back in the `x-csrf-token` header of every state-changing request made with the session cookie. */
  readonly csrfToken: string;
  readonly via: 'session' | 'token';
  /** Whether this is the demo configuration (the login page shows the demo password). */
  readonly demo: boolean;
}

/**
 * GET /api/me?overview=1: who is calling and, in the same answer, what the overview shows (GET /api/status and
 * GET /api/decision as they would answer now), so the page's first load needs one round trip. Every logged-in role
 * may read both; `decision` is null without a shutdown side.
 */
export interface MeWithOverview extends Me {
  readonly overview: { readonly status: StatusResponse; readonly decision: DecisionResponse | null };
}

/** GET /api/login/info (public): what the login page needs before anyone logs in. */
export interface LoginInfo {
  readonly demo: boolean;
  /** Only in demo mode and only to a loopback caller. */
  readonly demoUser?: string;
  readonly demoPassword?: string;
  /** Whether GET /api/status, /api/decision and /api/stream answer without login (`web.public_status`). */
  readonly publicStatus: boolean;
}

/** POST /api/logout. */
export interface LogoutResponse {
  readonly ok: true;
}

/** One live session as GET /api/sessions shows it: a short public id, never the cookie value. */
export interface SessionView {
  readonly id: string;
  readonly user: string;
  readonly role: WebRole;
  readonly address: string;
  readonly userAgent: string;
  /** ISO 8601. */
  readonly created: string;
  readonly lastSeen: string;
  /** The caller's own session. */
  readonly current: boolean;
}

export interface SessionsResponse {
  readonly sessions: readonly SessionView[];
}

/** DELETE /api/sessions/:id. */
export interface SessionRevokedResponse {
  readonly revoked: string;
}

/** One audit row: who did what, when, from where, and what it answered. Never a request body. */
export interface AuditEntry {
  readonly id: number;
  /** ISO 8601. */
  readonly at: string;
  /** Null when nobody was logged in (a failed login, a refused request). */
  readonly user: string | null;
  readonly address: string;
  /** 'login', 'login-failed', 'logout', or `METHOD /route` such as 'POST /api/shutdown/test'. */
  readonly action: string;
  readonly detail: string | null;
  /** The HTTP status answered. */
  readonly status: number;
}

/** GET /api/audit?before=ID&limit=N: newest first; `nextBefore` pages on (null at the oldest). */
export interface AuditResponse {
  readonly entries: readonly AuditEntry[];
  readonly nextBefore: number | null;
}

/** The error bodies of the auth layer. */
export type AuthErrorCode =
  'UNAUTHENTICATED' | 'FORBIDDEN' | 'LOGIN_FAILED' | 'LOGIN_THROTTLED' | 'CSRF' | 'MISDIRECTED' | 'RATE_LIMITED';

export interface AuthErrorBody {
  readonly error: AuthErrorCode;
  readonly message: string;
}
