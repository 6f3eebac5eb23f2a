import { randomBytes, scryptSync } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { WebRole } from '../../src/web/access.js';
import type { Me } from '../../src/web/api-types/auth.js';
import { formatPasswordHash } from '../../src/web/auth/password-hash.js';

/** The host and origin every logged-in test request claims: what a browser on http://localhost would send. */
export const TEST_HOST = 'localhost';
export const TEST_ORIGIN = 'http://localhost';

/** One user per web role, each with its own password: `testUsers()` goes into a test config's `users:`. */
export const TEST_PASSWORDS: Readonly<Record<WebRole, string>> = {
  admin: 'admin-test-password',
  operator: 'operator-test-password',
  viewer: 'viewer-test-password',
};

/**
 * A scrypt hash at the lowest cost the config accepts (2^10): a test logs in often, and the cost is not what it tests.
 * Written like `upsguard user add` writes one.
 */
function cheapHash(password: string): string {
  const salt = randomBytes(16);
  const key = scryptSync(password.normalize('NFC'), salt, 32, { N: 1024, r: 8, p: 1 });
  return formatPasswordHash({ log2N: 10, r: 8, p: 1, salt, key });
}

/**
 * Config `users:` entries: a user named after each role (`admin`, `operator`, `viewer`) with that role and the
 * password in TEST_PASSWORDS (given as a hash, so the App does not spend a full-cost scrypt on each at start).
 */
export function testUsers(): { name: string; password_hash: string; role: WebRole }[] {
  return (['admin', 'operator', 'viewer'] as const).map((role) => ({
    name: role,
    password_hash: cheapHash(TEST_PASSWORDS[role]),
    role,
  }));
}

export interface WebLogin {
  /** Spread into `app.inject({ headers })`: the session cookie, the CSRF token, this page's origin and host. */
  readonly headers: {
    readonly cookie: string;
    readonly 'x-csrf-token': string;
    readonly origin: string;
    readonly host: string;
  };
  readonly me: Me;
  /** The cookie's value alone (a test that checks it never leaks). */
  readonly sessionId: string;
}

/**
 * Logs in through POST /api/login with `app.inject` and returns what a browser would then send. Inject sends
 * `host: localhost:80` by default; the headers say `localhost` and its origin explicitly.
 */
export async function webLogin(
  app: FastifyInstance,
  user: string = 'admin',
  password: string = user in TEST_PASSWORDS ? TEST_PASSWORDS[user as WebRole] : '',
): Promise<WebLogin> {
  const res = await app.inject({
    method: 'POST',
    url: '/api/login',
    headers: { origin: TEST_ORIGIN, host: TEST_HOST },
    payload: { user, password },
  });
  if (res.statusCode !== 200) throw new Error(`login as ${user} failed: ${res.statusCode} ${res.body}`);
  const setCookie = [res.headers['set-cookie']].flat().find((c) => c?.startsWith('upsguard_session='));
  const sessionId = setCookie?.split(';')[0]?.slice('upsguard_session='.length) ?? '';
  if (sessionId === '') throw new Error(`login as ${user} set no session cookie`);
  const me = res.json<Me>();
  return {
    headers: {
      cookie: `upsguard_session=${sessionId}`,
      'x-csrf-token': me.csrfToken,
      origin: TEST_ORIGIN,
      host: TEST_HOST,
    },
    me,
    sessionId,
  };
}
