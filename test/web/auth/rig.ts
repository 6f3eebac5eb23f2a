import type { FastifyInstance } from 'fastify';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/log.js';
import { openDatabase, type Db } from '../../../src/store/database.js';
import { EventsStore } from '../../../src/store/events.js';
import { ReadingsStore } from '../../../src/store/readings.js';
import { Listeners } from '../../../src/util/listeners.js';
import type { Access, Principal, WebRole } from '../../../src/web/access.js';
import { createWebAuth, type WebAuth, type WebAuthOptions } from '../../../src/web/auth/web-auth.js';
import type { LiveEvents } from '../../../src/web/deps.js';
import { buildServer, type WebServerOptions } from '../../../src/web/server.js';
import { closeAfterTest, fakeShutdown } from '../../helpers/web-fakes.js';
import { TEST_PASSWORDS, testUsers } from '../../helpers/web-login.js';

// The web server with the real auth layer over an in-memory store, a manual time, a fake shutdown side that counts
// what it was asked to do, and a log captured as text (to check that no secret reaches it).

/** A password check without scrypt's cost: the tests of the hook need many logins; users.ts has its own tests. */
export function plainUsers(): WebAuthOptions['users'] {
  const roles = new Map(testUsers().map((u) => [u.name, u.role]));
  return {
    verify: (name, password) => {
      const role = roles.get(name);
      return Promise.resolve(role && TEST_PASSWORDS[role] === password ? role : null);
    },
  };
}

export interface SeenRoute {
  readonly method: string;
  readonly url: string;
  readonly access: Access | undefined;
}

export interface Rig {
  readonly app: FastifyInstance;
  /** Every route the server has, with the access it declares. */
  readonly routes: readonly SeenRoute[];
  readonly auth: WebAuth;
  readonly db: Db;
  readonly shutdown: ReturnType<typeof fakeShutdown>;
  /**
   * What POST /test/action (operator) and POST /test/admin-action (no declared access: admin) were asked to do; GET
   * /test/read declares nothing either (a viewer).
   */
  readonly actions: string[];
  /** Milliseconds the login asked to hold failed answers, in order. */
  readonly sleeps: number[];
  /** Everything logged, as text. */
  readonly logText: () => string;
  readonly advance: (ms: number) => void;
  readonly now: () => number;
}

export const T0 = Date.UTC(2026, 11, 2, 12, 0, 0);

export async function rig(
  o: Partial<Omit<WebAuthOptions, 'db' | 'now' | 'sleep'>> & { tokens?: Record<string, WebRole> } = {},
  server: Partial<WebServerOptions> = {},
): Promise<Rig> {
  const db = openDatabase(':memory:');
  let t = T0;
  const now = (): number => t;
  const sleeps: number[] = [];
  let logged = '';
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logged += chunk.toString('utf8');
      done();
    },
  });
  const log = createLogger({ level: 'debug', destination: sink });
  const { tokens = {}, ...authOptions } = o;
  const verifyToken = (bearer: string): Principal | null => {
    const role = tokens[bearer];
    return role ? { name: `token-${role}`, role, via: 'token', id: `t-${role}` } : null;
  };
  const auth = createWebAuth({
    db,
    now,
    users: plainUsers(),
    verifyToken,
    machineName: 'appliance',
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    ...authOptions,
  });
  const shutdown = fakeShutdown();
  const app = buildServer(
    {
      ups: [],
      events: new EventsStore(db),
      readings: new ReadingsStore(db),
      live: new Listeners<LiveEvents>(),
      log,
      now,
      shutdown,
      jobs: null,
      auth,
    },
    { maxStreams: 0, ...server },
  );
  // Actions of the rig's own: what the auth layer guards, without depending on what the real routes answer.
  const actions: string[] = [];
  app.post('/test/action', { config: { access: 'operator' } }, (req) => {
    actions.push(`operator action by ${req.principal?.name ?? 'nobody'}`);
    req.auditDetail = 'did the thing';
    return { done: true };
  });
  app.get('/test/read', () => ({ read: true }));
  app.post('/test/admin-action', (req) => {
    actions.push(`admin action by ${req.principal?.name ?? 'nobody'}`);
    return { done: true };
  });
  const routes: SeenRoute[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routes.push({ method, url: r.url, access: r.config?.access });
  });
  closeAfterTest(app, db);
  await app.ready();
  return {
    app,
    routes,
    actions,
    auth,
    db,
    shutdown,
    sleeps,
    logText: () => logged,
    advance: (ms) => {
      t += ms;
    },
    now,
  };
}

export { TEST_PASSWORDS };
