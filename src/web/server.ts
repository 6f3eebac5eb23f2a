import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ErrorCode, UpsguardError } from '../errors.js';
import type { WebDeps } from './deps.js';
import { registerEventRoutes } from './routes/events.js';
import { registerHistoryRoutes } from './routes/history.js';
import { registerPageRoutes } from './routes/page.js';
import { registerStatusRoutes } from './routes/status.js';
import { registerStreamRoutes } from './routes/stream.js';
import { registerShutdownRoutes } from './routes/shutdown.js';

/** Builds the web app without listening, so tests use `inject` and `app.ts` decides where it listens. */
export function buildServer(deps: WebDeps): FastifyInstance {
  // Request lines at info would drown the log of an appliance polled every 2 s by its own page: warn and up only.
  const logger: FastifyBaseLogger = deps.log.child({ part: 'web' }, { level: 'warn' });
  const app = Fastify({ loggerInstance: logger });

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

  registerStatusRoutes(app, deps);
  registerEventRoutes(app, deps);
  registerHistoryRoutes(app, deps);
  registerStreamRoutes(app, deps);
  registerShutdownRoutes(app, deps);
  registerPageRoutes(app);
  return app;
}
