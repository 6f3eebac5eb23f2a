import type { Db } from '../../store/database.js';
import type { Principal, WebRole } from '../access.js';
import { ActionRateLimit } from './action-rate-limit.js';
import { AuditLog } from './audit-log.js';
import { allowedHostNames } from './host-check.js';
import { LoginThrottle, type LoginThrottleOptions } from './login-throttle.js';
import { SessionStore } from './session-store.js';

/** What a login checks a password against (users-tokens' `WebUsers` is one). */
export interface PasswordVerifier {
  /** The user's web role when the password is right; null otherwise, unknown users included, in the same time. */
  verify(name: string, password: string): Promise<WebRole | null>;
}

/** An API token's principal, or null (users-tokens' `verifyToken`). */
export type TokenVerifier = (bearer: string) => Principal | null;

/** The demo's printed login: shown by GET /api/login/info to a loopback caller. */
export interface DemoLogin {
  readonly user: string;
  readonly password: string;
}

/** Everything the auth hooks and routes use; one per web server. */
export interface WebAuth {
  readonly sessions: SessionStore;
  readonly audit: AuditLog;
  readonly users: PasswordVerifier;
  readonly verifyToken: TokenVerifier;
  readonly throttle: LoginThrottle;
  readonly actions: ActionRateLimit;
  /** Names a Host header may carry. */
  readonly hostNames: ReadonlySet<string>;
  readonly publicStatus: boolean;
  readonly sessionMaxS: number;
  readonly demo: DemoLogin | null;
  /** Holds the answer to a failed login (tests replace it to see the delay without waiting). */
  readonly sleep: (ms: number) => Promise<void>;
}

export interface WebAuthOptions {
  readonly db: Db;
  readonly now: () => number;
  readonly users: PasswordVerifier;
  readonly verifyToken?: TokenVerifier;
  /** `web.session_idle_s`, `web.session_max_s`. */
  readonly sessionIdleS?: number;
  readonly sessionMaxS?: number;
  readonly publicStatus?: boolean;
  readonly actionRatePerMin?: number;
  readonly serverNames?: readonly string[];
  readonly listenHost?: string;
  readonly machineName?: string;
  readonly demo?: DemoLogin | null;
  readonly throttle?: LoginThrottleOptions;
  readonly sleep?: (ms: number) => Promise<void>;
}

const realSleep = (ms: number): Promise<void> =>
  ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms).unref());

/** Builds the auth side of the web server over the store's Db (sessions and audit tables from migration 0005). */
export function createWebAuth(o: WebAuthOptions): WebAuth {
  const sessionMaxS = o.sessionMaxS ?? 43_200;
  return {
    sessions: new SessionStore(o.db, { idleMs: (o.sessionIdleS ?? 1800) * 1000, maxMs: sessionMaxS * 1000 }, o.now),
    audit: new AuditLog(o.db, o.now),
    users: o.users,
    verifyToken: o.verifyToken ?? (() => null),
    throttle: new LoginThrottle(o.now, o.throttle),
    actions: new ActionRateLimit(o.actionRatePerMin ?? 30, o.now),
    hostNames: allowedHostNames({
      serverNames: o.serverNames ?? [],
      listenHost: o.listenHost ?? '127.0.0.1',
      ...(o.machineName === undefined ? {} : { machineName: o.machineName }),
    }),
    publicStatus: o.publicStatus ?? false,
    sessionMaxS,
    demo: o.demo ?? null,
    sleep: o.sleep ?? realSleep,
  };
}
