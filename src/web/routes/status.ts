import type { FastifyInstance } from 'fastify';
import type { WebRouteOptions } from '../deps.js';
import { snapshotView, storeView } from '../views.js';

export function statusRoutes(app: FastifyInstance, { deps }: WebRouteOptions): void {
  app.get('/api/status', () => ({
    generatedAt: new Date(deps.now()).toISOString(),
    ups: deps.ups.map((u) => snapshotView(u)),
    store: storeView(deps),
  }));
}
