import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { NutServerSummary, StatusResponse } from '../api-types/status.js';
import type { WebDeps, WebRouteOptions } from '../deps.js';
import { snapshotView, storeView } from '../views.js';
import { deviceRoutes } from './devices.js';
import { nutRoutes } from './nut.js';
import { upsCommandRoutes } from './ups-commands.js';

/** The overview, and with it the console's other per-UPS reads: devices, NUT state, the UPS's commands. */
export function statusRoutes(app: FastifyInstance, { deps }: WebRouteOptions): void {
  app.get('/api/status', { config: { access: 'viewer' } }, (): StatusResponse => statusResponse(deps));
  void app.register(deviceRoutes, { deps });
  void app.register(nutRoutes, { deps });
  void app.register(upsCommandRoutes, { deps });
}

/** GET /api/status's answer; GET /api/me?overview=1 carries the same, so a page's first load asks once. */
export function statusResponse(deps: WebDeps): StatusResponse {
  return {
    generatedAt: new Date(deps.now()).toISOString(),
    ups: deps.ups.map((u) => snapshotView(u, u.snapshot(), deps)),
    store: storeView(deps),
    nut: nutSummary(deps),
    version: runningVersion(),
    uptimeS: Math.round(process.uptime()),
  };
}

let version: string | null = null;
/** The version of the code that runs (read once: a package upgraded under a running service does not change it). */
function runningVersion(): string {
  version ??= (
    JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return version;
}

function nutSummary(deps: WebDeps): NutServerSummary | null {
  const n = deps.readApis?.nut?.();
  if (!n) return null;
  return {
    state: n.state,
    host: n.host,
    port: n.port,
    reason: n.reason,
    clients: n.clients.length,
    mdns: n.mdns ?? null,
  };
}
