import type { FastifyInstance } from 'fastify';
import type { StatusResponse } from '../api-types/status.js';
import type { WebRouteOptions } from '../deps.js';
import { snapshotView, storeView } from '../views.js';
import { deviceRoutes } from './devices.js';
import { nutRoutes } from './nut.js';
import { upsCommandRoutes } from './ups-commands.js';

/** The overview, and with it the console's other per-UPS reads: devices, NUT state, the UPS's commands. */
export function statusRoutes(app: FastifyInstance, { deps }: WebRouteOptions): void {
  app.get('/api/status', { config: { access: 'viewer' } }, (): StatusResponse => ({
    generatedAt: new Date(deps.now()).toISOString(),
    ups: deps.ups.map((u) => snapshotView(u, u.snapshot(), deps)),
    store: storeView(deps),
  }));
  void app.register(deviceRoutes, { deps });
  void app.register(nutRoutes, { deps });
  void app.register(upsCommandRoutes, { deps });
}
