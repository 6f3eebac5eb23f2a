import type { FastifyInstance } from 'fastify';
import type { WebRouteOptions } from '../deps.js';
import type { JsonSchemaProvider } from '../plugins/json-schema.js';
import { eventView } from '../views.js';

const eventsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    since: { type: 'integer', minimum: 0 },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
  },
} as const;

export function eventRoutes(instance: FastifyInstance, { deps }: WebRouteOptions): void {
  const app = instance.withTypeProvider<JsonSchemaProvider>();
  app.get('/api/events', { schema: { querystring: eventsQuery } }, (req) => {
    const { since, limit = 100 } = req.query;
    // Without `since`, the newest events (what a page shows first); with it, everything after it in order.
    const rows = since === undefined ? deps.events.recent(limit) : deps.events.list(since, limit);
    return { events: rows.map(eventView) };
  });
}
