import type { FastifyInstance } from 'fastify';
import type { WebRouteOptions } from '../deps.js';
import type { ShutdownFacade } from '../facade.js';
import { eventRoutes } from '../routes/events.js';
import { historyRoutes } from '../routes/history.js';
import { pageRoutes } from '../routes/page.js';
import { runRoutes } from '../routes/runs.js';
import { planRoutes, shutdownActionRoutes } from '../routes/shutdown.js';
import { statusRoutes } from '../routes/status.js';
import { streamRoutes, type StreamLimits } from '../routes/stream.js';
import { loopbackOnly } from './loopback-only.js';

export interface RouteGroupOptions extends WebRouteOptions {
  /** The façade over deps.shutdown, resolved once by the server; null when there is no shutdown side. */
  readonly shutdown: ShutdownFacade | null;
}

/**
 * The name the admin context is decorated with, so a test (or the next guard) can tell which context a route was
 * registered in. Decorations are encapsulated: only routes inside `adminRoutes` see it.
 */
export const ADMIN_CONTEXT = 'upsguardAdminContext';

/** Everything that only reads: status, events, history, the live stream, the plan and runs, the page. */
export function readOnlyRoutes(
  app: FastifyInstance,
  opts: RouteGroupOptions & { readonly limits: StreamLimits },
): void {
  const { deps, shutdown, limits } = opts;
  void app.register(statusRoutes, { deps });
  void app.register(eventRoutes, { deps });
  void app.register(historyRoutes, { deps });
  void app.register(streamRoutes, { deps, limits });
  void app.register(pageRoutes);
  if (shutdown) {
    void app.register(planRoutes, { deps, shutdown });
    void app.register(runRoutes, { deps, shutdown });
  }
}

/**
 * Everything that changes state (starts a run, powers something off), in one encapsulated context behind one
 * onRequest hook: today loopback-only; login is one more hook here. Every route that is not a GET belongs here.
 */
export function adminRoutes(app: FastifyInstance, { deps, shutdown }: RouteGroupOptions): void {
  app.decorate(ADMIN_CONTEXT, true);
  app.addHook('onRequest', loopbackOnly);
  if (shutdown) void app.register(shutdownActionRoutes, { deps, shutdown });
}
