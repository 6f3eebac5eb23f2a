import type { FastifyInstance } from 'fastify';
import { metricsSources, renderMetrics } from '../../integrations/metrics/render.js';
import type { WebRouteOptions } from '../deps.js';

/**
 * GET /metrics in the Prometheus text format. Access `metrics`: an API token or session of any role, or an anonymous
 * scraper from `web.metrics_networks` (loopback by default).
 */
export function metricsRoutes(app: FastifyInstance, { deps }: WebRouteOptions): void {
  const sources = metricsSources(deps);
  app.get(
    '/metrics',
    {
      config: { access: 'metrics' },
      schema: {
        summary: 'Prometheus metrics: UPS readings under nut_exporter names, and upsguard_* metrics',
        produces: ['text/plain'],
        response: { 200: { type: 'string' } },
      },
    },
    async (_req, reply) => {
      const { contentType, text } = await renderMetrics(sources);
      return reply.type(contentType).send(text);
    },
  );
}
