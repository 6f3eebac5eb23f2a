import type { Config } from '../../config/schema.js';
import type { Logger } from '../../log.js';
import type { Db } from '../../store/database.js';
import { demoLoginFor } from './demo-login.js';
import { TokenStore } from './token-store.js';
import { WebUsers, type WebAccounts } from './users.js';
import { createWebAuth, type DemoLogin, type WebAuth } from './web-auth.js';

export interface AppAuthOptions {
  readonly db: Db;
  readonly now: () => number;
  readonly config: Config;
  /** The embedded demo config (`loaded.isDemo`). */
  readonly isDemo: boolean;
  readonly log: Logger;
}

export interface AppAuth {
  /** What the auth hooks and the login routes use (`deps.auth`). */
  readonly auth: WebAuth;
  /** What the users and tokens routes use (`deps.accounts`): the same users and tokens the login checks. */
  readonly accounts: WebAccounts;
  /** The demo's printed login, or null. */
  readonly demo: DemoLogin | null;
}

/**
 * The web console's users, tokens, sessions and audit log over the store, built once by the App: the config's users
 * (plain passwords hashed here), in the demo on loopback an `admin` with a fresh random password, and the `web:`
 * settings of the auth layer.
 */
export async function buildAppAuth(o: AppAuthOptions): Promise<AppAuth> {
  const users = await WebUsers.create(o.config.users, o.log);
  const demo = demoLoginFor(o.isDemo, o.config.web.host);
  if (demo) await users.addEphemeral(demo.user, 'admin', demo.password);
  const tokens = new TokenStore(o.db, o.now);
  const w = o.config.web;
  const auth = createWebAuth({
    db: o.db,
    now: o.now,
    users,
    verifyToken: (bearer) => tokens.verifyToken(bearer),
    sessionIdleS: w.session_idle_s,
    sessionMaxS: w.session_max_s,
    publicStatus: w.public_status,
    actionRatePerMin: w.action_rate_per_min,
    serverNames: w.server_names,
    listenHost: w.host,
    demo,
  });
  return { auth, accounts: { users, tokens }, demo };
}
