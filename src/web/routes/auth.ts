import type { FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { systemClock } from '../../util/clock.js';
import { RateLimitedLog } from '../../util/rate-limited-log.js';
import type { Principal } from '../access.js';
import type {
  AuthErrorBody,
  LoginInfo,
  LogoutResponse,
  Me,
  MeWithOverview,
  SessionRevokedResponse,
  SessionsResponse,
} from '../api-types/auth.js';
import { SESSION_COOKIE, cookieValue, markAudited, sessionOf } from '../auth/auth-hook.js';
import type { WebAuth } from '../auth/web-auth.js';
import type { JsonSchemaProvider } from '../plugins/json-schema.js';

export interface AuthRouteOptions {
  readonly auth: WebAuth;
  readonly log: Logger;
  /** What GET /api/me?overview=1 adds for a logged-in caller: the overview's status and decision, as of now. */
  readonly overview?: () => MeWithOverview['overview'];
}

const meQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { overview: { type: 'string', enum: ['0', '1'] } },
} as const;

const loginBody = {
  type: 'object',
  additionalProperties: false,
  required: ['user', 'password'],
  properties: {
    user: { type: 'string', minLength: 1, maxLength: 128 },
    password: { type: 'string', minLength: 1, maxLength: 1024 },
  },
} as const;

const sessionParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[0-9a-f]{12}$' } },
} as const;

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

function sessionCookie(value: string, maxAgeS: number, secure: boolean): string {
  return `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
}

function meOf(principal: Principal, csrfToken: string, auth: WebAuth): Me {
  return { user: principal.name, role: principal.role, csrfToken, via: principal.via, demo: auth.demo !== null };
}

const failedBody: AuthErrorBody = { error: ErrorCode.LoginFailed, message: 'wrong user or password' };

/** The login page's facts, who am I, and an admin's list of sessions: the reading side, in the read-only group. */
export function authReadRoutes(instance: FastifyInstance, { auth, overview }: AuthRouteOptions): void {
  const app = instance.withTypeProvider<JsonSchemaProvider>();
  app.get('/api/login/info', { config: { access: 'public' } }, (req): LoginInfo => {
    const info: LoginInfo = { demo: auth.demo !== null, publicStatus: auth.publicStatus };
    if (auth.demo && LOOPBACK.has(req.socket.remoteAddress ?? '')) {
      return { ...info, demoUser: auth.demo.user, demoPassword: auth.demo.password };
    }
    return info;
  });

  // Public so a logged-out page learns it is logged out (401) rather than being refused; the overview rides along only
  // for a logged-in caller, whose every role may read it.
  app.get('/api/me', { config: { access: 'public' }, schema: { querystring: meQuery } }, (req, reply) => {
    const p = req.principal;
    if (!p)
      return reply
        .status(401)
        .send({ error: ErrorCode.Unauthenticated, message: 'log in first' } satisfies AuthErrorBody);
    const me = meOf(p, sessionOf(req)?.session.csrfToken ?? '', auth);
    if (req.query.overview === '1' && overview)
      return reply.send({ ...me, overview: overview() } satisfies MeWithOverview);
    return reply.send(me);
  });

  app.get('/api/sessions', { config: { access: 'admin' } }, (req): SessionsResponse => {
    const mine = sessionOf(req)?.session.publicId;
    return {
      sessions: auth.sessions.list().map((s) => ({
        id: s.publicId,
        user: s.user,
        role: s.role,
        address: s.address,
        userAgent: s.userAgent,
        created: new Date(s.createdAt).toISOString(),
        lastSeen: new Date(s.lastSeenAt).toISOString(),
        current: s.publicId === mine,
      })),
    };
  });
}

/** Login, logout and revoking a session: the state-changing side, in the admin group. */
export function authActionRoutes(instance: FastifyInstance, { auth, log }: AuthRouteOptions): void {
  const app = instance.withTypeProvider<JsonSchemaProvider>();
  const failedLog = new RateLimitedLog({
    log: log.child({ part: 'web' }),
    clock: systemClock,
    maxPerWindow: 5,
    windowMs: 60_000,
  });
  app.addHook('onClose', (_i, done) => {
    failedLog.flush();
    done();
  });

  app.post('/api/login', { config: { access: 'public' }, schema: { body: loginBody } }, async (req, reply) => {
    markAudited(req);
    const address = req.ip;
    const { user, password } = req.body;
    const wait = auth.throttle.addressWaitMs(address);
    if (wait > 0) {
      const s = Math.ceil(wait / 1000);
      auth.audit.record({
        user: null,
        address,
        action: 'login-failed',
        detail: 'refused: too many failures from this address',
        status: 429,
      });
      const body: AuthErrorBody = {
        error: ErrorCode.LoginThrottled,
        message: `too many failed logins; try again in ${s} s`,
      };
      return reply.status(429).header('retry-after', String(s)).send(body);
    }
    const role = await auth.users.verify(user, password);
    if (role === null) {
      auth.throttle.failed(address, user);
      await auth.sleep(auth.throttle.userDelayMs(user));
      failedLog.warn(`login ${address}`, { user, remote: address }, 'web login failed');
      auth.audit.record({
        user: null,
        address,
        action: 'login-failed',
        detail: `as ${JSON.stringify(user)}`,
        status: 401,
      });
      return reply.status(401).send(failedBody);
    }
    auth.throttle.succeeded(address);
    // Rotation: whatever session the browser came with ends; a login always gets a new id.
    const old = sessionOf(req) ?? null;
    if (old) auth.sessions.end(old.cookieValue);
    const ua = req.headers['user-agent'] ?? '';
    const { cookieValue: value, session } = auth.sessions.create(user, role, address, ua);
    req.principal = { name: user, role, via: 'session', id: session.publicId };
    auth.audit.record({ user, address, action: 'login', detail: `role ${role}`, status: 200 });
    return reply
      .header('set-cookie', sessionCookie(value, auth.sessionMaxS, req.protocol === 'https'))
      .send(meOf(req.principal, session.csrfToken, auth));
  });

  app.post('/api/logout', { config: { access: 'public' } }, (req, reply): FastifyReply => {
    markAudited(req);
    const current = sessionOf(req);
    if (current) auth.sessions.end(current.cookieValue);
    else {
      // An expired or unknown cookie: nothing to end, but the browser still forgets it.
      const value = cookieValue(req.headers.cookie, SESSION_COOKIE);
      if (value) auth.sessions.end(value);
    }
    auth.audit.record({
      user: req.principal?.name ?? null,
      address: req.ip,
      action: 'logout',
      detail: null,
      status: 200,
    });
    const body: LogoutResponse = { ok: true };
    return reply.header('set-cookie', sessionCookie('', 0, req.protocol === 'https')).send(body);
  });

  app.delete('/api/sessions/:id', { config: { access: 'admin' }, schema: { params: sessionParams } }, (req, reply) => {
    const { id } = req.params;
    if (!auth.sessions.revoke(id)) {
      return reply.status(404).send({ error: ErrorCode.NotFound, message: `no session ${id}` });
    }
    req.auditDetail = `session ${id}`;
    const body: SessionRevokedResponse = { revoked: id };
    return reply.send(body);
  });
}
