import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../deps.js';
import { snapshotView, storeView } from '../views.js';

export function registerStatusRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get('/api/status', () => ({
    generatedAt: new Date(deps.now()).toISOString(),
    ups: deps.ups.map((u) => snapshotView(u)),
    store: storeView(deps),
  }));
}
