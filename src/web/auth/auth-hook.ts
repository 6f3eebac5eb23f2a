import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode } from '../../errors.js';
import type { Logger } from '../../log.js';
import { LOOPBACK_NETWORKS, NetworkMatcher } from '../../integrations/metrics/networks.js';
import { allows, type Access, type Principal } from '../access.js';
import { SAFE_METHODS, sameOrigin, tokenMatches } from './csrf.js';
import { allowedHostNames, hostAllowed } from './host-check.js';
import { setSecurityHeaders } from './security-headers.js';
import type { Session } from './session-store.js';
import type { WebAuth } from './web-auth.js';

export const SESSION_COOKIE = 'upsguard_session';
const LOGIN_ROUTE = '/api/login';
/** The audit log keeps this many newest rows (years of a home lab's logins and actions). */
const AUDIT_MAX_ROWS = 100_000;

/** What `web.public_status: true` opens to anonymous callers, and nothing else. */
const PUBLIC_STATUS_ROUTES: ReadonlySet<string> = new Set(['/api/status', '/api/decision', '/api/stream']);

const sessions = new WeakMap<FastifyRequest, { session: Session; cookieValue: string }>();
const audited = new WeakSet<FastifyRequest>();

/** The session a request came with (null for a token or anonymous caller), and its cookie value. */
export function sessionOf(req: FastifyRequest): { session: Session; cookieValue: string } | null {
  return sessions.get(req) ?? null;
}

/** A route that writes its own audit row (login, logout) marks the request, so the automatic one is not added. */
export function markAudited(req: FastifyRequest): void {
  audited.add(req);
}

/** The value of one cookie in a Cookie header (first wins); undefined when absent. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

function bearerOf(req: FastifyRequest): string | null | undefined {
  const h = req.headers.authorization;
  if (h === undefined) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1] ?? null;
}

/** The access a request's route declares; the default closes what forgets to say. */
function accessOf(req: FastifyRequest, auth: WebAuth | null): Access {
  const declared = req.routeOptions.config.access;
  if (auth?.publicStatus === true && req.method === 'GET' && PUBLIC_STATUS_ROUTES.has(req.routeOptions.url ?? '')) {
    return 'public';
  }
  return declared ?? (req.method === 'GET' || req.method === 'HEAD' ? 'viewer' : 'admin');
}

function refuse(reply: FastifyReply, status: number, error: ErrorCode, message: string): FastifyReply {
  return reply.status(status).send({ error, message });
}

/**
 * Resolves the caller (an API token in `Authorization: Bearer`, else the session cookie) and enforces the route's
 * declared access, CSRF and the action rate limit. An onRequest hook: a refused caller's body is never parsed.
 */
function authenticate(
  auth: WebAuth | null,
  hostNames: ReadonlySet<string>,
  metricsNetworks: NetworkMatcher,
  req: FastifyRequest,
  reply: FastifyReply,
): FastifyReply | undefined {
  if (!hostAllowed(req.headers.host, hostNames)) {
    return refuse(reply, 421, ErrorCode.Misdirected, 'this console is not served under that host name');
  }
  const bearer = bearerOf(req);
  let principal: Principal | null = null;
  if (bearer !== undefined) {
    principal = bearer === null || auth === null ? null : auth.verifyToken(bearer);
    if (principal === null) {
      return refuse(reply, 401, ErrorCode.Unauthenticated, 'the API token is not valid');
    }
  } else {
    const value = cookieValue(req.headers.cookie, SESSION_COOKIE);
    const session = value === undefined || value === '' || auth === null ? null : auth.sessions.resolve(value);
    if (session && value) {
      sessions.set(req, { session, cookieValue: value });
      principal = { name: session.user, role: session.role, via: 'session', id: session.publicId };
    }
  }
  req.principal = principal;

  const access = accessOf(req, auth);
  const scraper = access === 'metrics' && principal === null && metricsNetworks.matches(req.ip);
  if (!scraper && !allows(principal?.role ?? null, access)) {
    if (principal === null) return refuse(reply, 401, ErrorCode.Unauthenticated, 'log in first');
    return refuse(reply, 403, ErrorCode.Forbidden, `this needs the ${access} role; you are ${principal.role}`);
  }
  if (SAFE_METHODS.has(req.method)) return undefined;

  // A browser sends the cookie by itself, so a cookie request must prove it comes from this page: its Origin and the
  // session's token. A Bearer header is never sent by a browser on its own, but a foreign Origin is refused anyway.
  const s = sessionOf(req);
  // A login carries no token yet (a stale session in the browser must not stop a new login), only its Origin.
  const csrfOk =
    req.routeOptions.url === LOGIN_ROUTE
      ? sameOrigin(req, principal?.via === 'session')
      : principal?.via === 'session'
        ? s !== null && sameOrigin(req, true) && tokenMatches(req.headers['x-csrf-token'], s.session.csrfToken)
        : sameOrigin(req, false);
  if (!csrfOk) {
    return refuse(reply, 403, ErrorCode.Csrf, 'refused: not sent by this console page (origin or x-csrf-token)');
  }
  if (principal && auth) {
    const wait = auth.actions.take(`${principal.via}:${principal.id}`);
    if (wait > 0) {
      return refuse(
        reply.header('retry-after', String(wait)),
        429,
        ErrorCode.RateLimited,
        `too many actions; wait ${wait} s`,
      );
    }
  }
  return undefined;
}

function writeAudit(auth: WebAuth, log: Logger, req: FastifyRequest, reply: FastifyReply): void {
  if (req.method === 'GET' || req.method === 'HEAD' || audited.has(req)) return;
  // Nobody known and nothing done (refused before any handler): not a row each, or anonymous noise fills the table.
  // Failed logins are written by the login route itself.
  if (req.principal === null && (reply.statusCode === 401 || reply.statusCode === 421)) return;
  const path = req.routeOptions.url ?? req.url.split('?')[0] ?? '';
  try {
    auth.audit.record({
      user: req.principal?.name ?? null,
      address: req.ip,
      action: `${req.method} ${path}`,
      detail: req.auditDetail ?? null,
      status: reply.statusCode,
    });
  } catch (err) {
    log.error({ err: (err as Error).message }, 'cannot write the audit row');
  }
}

/**
 * Installs the auth hooks on the root instance (`auth` null: a server nobody can log in to, only public routes answer), so they cover every route, whichever plugin registers it: the Host
 * check, principal and access, CSRF and action rate (onRequest), the security headers (onSend) and the audit row
 * (onResponse). Call before the route plugins are registered.
 */
export function installAuth(
  app: FastifyInstance,
  auth: WebAuth | null,
  log: Logger,
  metricsNetworks: readonly string[] = LOOPBACK_NETWORKS,
): void {
  app.decorateRequest('principal', null);
  const hostNames = auth?.hostNames ?? allowedHostNames({ serverNames: [], listenHost: '127.0.0.1' });
  const scrapers = new NetworkMatcher(metricsNetworks);
  app.addHook('onRequest', (req, reply, done) => {
    // A refusal has been sent: the chain stops there (no done), so no handler and no body parser runs.
    if (authenticate(auth, hostNames, scrapers, req, reply) === undefined) done();
  });
  app.addHook('onSend', async (req, reply, payload) => {
    setSecurityHeaders(req, reply);
    return payload;
  });
  if (!auth) return;
  app.addHook('onResponse', async (req, reply) => {
    writeAudit(auth, log, req, reply);
  });
  const sweep = setInterval(() => {
    try {
      auth.sessions.sweep();
      auth.audit.prune(AUDIT_MAX_ROWS);
    } catch (err) {
      log.error({ err: (err as Error).message }, 'cannot sweep expired sessions and old audit rows');
    }
  }, 3_600_000);
  sweep.unref();
  app.addHook('onClose', (_instance, done) => {
    clearInterval(sweep);
    done();
  });
}
