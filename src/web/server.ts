import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ErrorCode, UpsguardError } from '../errors.js';
import { systemClock } from '../util/clock.js';
import { ConnectionLimits, remoteKey } from '../util/connection-limits.js';
import { RateLimitedLog } from '../util/rate-limited-log.js';
import { installAuth } from './auth/auth-hook.js';
import type { WebDeps } from './deps.js';
import { adminRoutes, readOnlyRoutes } from './plugins/route-groups.js';
import { docsRoutes } from './routes/docs.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { OpenApiBook } from './routes/openapi-document.js';
import { DEFAULT_STREAM_LIMITS, type StreamLimits } from './routes/stream.js';

/** How long each phase of a request may take, and how many connections a client may hold. */
export interface WebServerOptions extends StreamLimits {
  /** The whole request, headers and body, must arrive within this (slow or stalled bodies get 408). */
  readonly requestTimeoutMs: number;
  /** The headers must arrive within this; at most requestTimeoutMs. */
  readonly headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** A socket with no traffic either way for this long is closed (a backstop for every phase). */
  readonly connectionTimeoutMs: number;
  readonly maxConnectionsPerAddress: number;
  readonly maxConnections: number;
  readonly bodyLimitBytes: number;
  /** Serve HTTPS with this PEM pair (src/web/tls decides when); without it, plain HTTP. */
  readonly https?: { readonly key: string; readonly cert: string };
}

export const DEFAULT_WEB_OPTIONS: WebServerOptions = {
  requestTimeoutMs: 10_000,
  headersTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5000,
  connectionTimeoutMs: 60_000,
  maxConnectionsPerAddress: 64,
  maxConnections: 256,
  bodyLimitBytes: 256 * 1024,
  ...DEFAULT_STREAM_LIMITS,
};

/** Builds the web app without listening, so tests use `inject` and `app.ts` decides where it listens. */
export function buildServer(deps: WebDeps, options: Partial<WebServerOptions> = {}): FastifyInstance {
  const o: WebServerOptions = { ...DEFAULT_WEB_OPTIONS, ...options };
  // Request lines at info would drown the log of an appliance polled every 2 s by its own page: warn and up only.
  const logger: FastifyBaseLogger = deps.log.child({ part: 'web' }, { level: 'warn' });
  const headersTimeout = Math.min(o.headersTimeoutMs, o.requestTimeoutMs);
  const http = {
    headersTimeout,
    // Node checks the request and headers timeouts only this often (30 s by default).
    connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeout / 2))),
  };
  const common = {
    loggerInstance: logger,
    requestTimeout: o.requestTimeoutMs,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    connectionTimeout: o.connectionTimeoutMs,
    bodyLimit: o.bodyLimitBytes,
  };
  // Fastify hands `https` (not `http`) to the server it creates, so the timeouts go in there; a stalled handshake is
  // bounded like stalled headers. The routes see the same app either way, hence the one type.
  const app = (o.https
    ? Fastify({ ...common, https: { ...http, key: o.https.key, cert: o.https.cert, handshakeTimeout: headersTimeout } })
    : Fastify({ ...common, http })) as unknown as FastifyInstance;
  app.server.headersTimeout = headersTimeout;

  // Counted on the raw connection, before any parsing: one client cannot take every socket the appliance has.
  const limits = new ConnectionLimits({ perAddress: o.maxConnectionsPerAddress, total: o.maxConnections });
  const quietLog = new RateLimitedLog({
    log: deps.log.child({ part: 'web' }),
    clock: systemClock,
    maxPerWindow: 5,
    windowMs: 60_000,
  });
  app.server.on('connection', (socket) => {
    const address = remoteKey(socket.remoteAddress);
    const refused = limits.admitSocket(socket, address);
    if (refused === null) return;
    quietLog.warn(`refused ${address}`, { remote: address }, `web connection refused: ${refused}`);
    socket.destroy();
  });
  app.addHook('onClose', (_instance, done) => {
    quietLog.flush();
    done();
  });

  app.setErrorHandler((err, req, reply) => {
    if (err instanceof UpsguardError) {
      const status = err.code === ErrorCode.NotFound ? 404 : err.code === ErrorCode.RequestInvalid ? 400 : 500;
      return reply.status(status).send({ error: err.code, message: err.message });
    }
    const e = err as { validation?: unknown; statusCode?: number; message?: string };
    if (e.validation) {
      return reply.status(400).send({ error: ErrorCode.RequestInvalid, message: e.message ?? 'invalid request' });
    }
    const statusCode = e.statusCode ?? 500;
    if (statusCode >= 500) req.log.error({ err: e.message }, 'request failed');
    return reply.status(statusCode).send({
      error: statusCode >= 500 ? 'INTERNAL' : 'BAD_REQUEST',
      message: statusCode >= 500 ? 'internal error' : (e.message ?? ''),
    });
  });

  // Who may call what: root hooks, installed before any route plugin, so they cover every route (see access.ts).
  const auth = deps.auth ?? null;
  installAuth(app, auth, deps.log.child({ part: 'web' }), deps.metrics?.networks);
  // Before any route, so the OpenAPI document sees every route as it is added; made when first asked for.
  const book = new OpenApiBook(app);
  // Two encapsulated contexts, kept as a grouping: what only reads, and what changes state.
  const shutdown = deps.shutdown ?? null;
  void app.register(readOnlyRoutes, { deps, shutdown, limits: o });
  void app.register(adminRoutes, { deps, shutdown });
  void app.register(metricsRoutes, { deps });
  void app.register(healthRoutes, { deps });
  void app.register(docsRoutes, { book });
  return app;
}
