import type { FastifyInstance } from 'fastify';
import type { WebRouteOptions } from '../deps.js';
import type { ShutdownFacade } from '../facade.js';
import { auditRoutes } from '../routes/audit.js';
import { authActionRoutes, authReadRoutes } from '../routes/auth.js';
import { decisionNow, decisionRoutes } from '../routes/decision.js';
import { eventRoutes } from '../routes/events.js';
import { historyRoutes } from '../routes/history.js';
import { notifyRoutes } from '../routes/notify.js';
import { pageRoutes } from '../routes/page.js';
import { planConfigEditRoutes, planConfigRoutes } from '../routes/plan-config.js';
import { policyEditRoutes, policyRoutes } from '../routes/policy.js';
import { restoreRoutes } from '../routes/restore.js';
import { runRoutes } from '../routes/runs.js';
import { planRoutes, shutdownActionRoutes } from '../routes/shutdown.js';
import { statusResponse, statusRoutes } from '../routes/status.js';
import { streamRoutes, type StreamLimits } from '../routes/stream.js';
import { upsCommandActionRoutes } from '../routes/ups-commands.js';
import { accountRoutes } from '../routes/users.js';

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
  void app.register(policyRoutes, { deps });
  void app.register(planConfigRoutes, { deps });
  void app.register(decisionRoutes, { deps });
  if (deps.auth) {
    const policyEdit = deps.policyEdit;
    void app.register(authReadRoutes, {
      auth: deps.auth,
      log: deps.log,
      overview: () => ({
        status: statusResponse(deps),
        decision: policyEdit ? decisionNow(policyEdit, deps.now()) : null,
      }),
    });
    void app.register(auditRoutes, { auth: deps.auth });
  }
  if (shutdown) {
    void app.register(planRoutes, { deps, shutdown });
    void app.register(runRoutes, { deps, shutdown });
    void app.register(restoreRoutes, { deps, shutdown });
  }
}

/**
 * Everything that changes state (starts a run, powers something off), in one encapsulated context. Who may call each
 * route is the root auth hook's business (every route declares its access); this context only groups them, so a
 * test can tell that every route that is not a GET is here.
 */
export function adminRoutes(app: FastifyInstance, { deps, shutdown }: RouteGroupOptions): void {
  app.decorate(ADMIN_CONTEXT, true);
  if (deps.auth) void app.register(authActionRoutes, { auth: deps.auth, log: deps.log });
  if (shutdown) void app.register(shutdownActionRoutes, { deps, shutdown });
  void app.register(upsCommandActionRoutes, { deps });
  // Users and tokens (their GETs too, all admin-only): one plugin, so it sits with what changes state.
  if (deps.accounts) void app.register(accountRoutes, { accounts: deps.accounts });
  void app.register(policyEditRoutes, { deps });
  void app.register(planConfigEditRoutes, { deps });
  // Its GET too (viewers): one plugin, beside the test message it goes with.
  if (deps.notify) void app.register(notifyRoutes, { notify: deps.notify });
}
