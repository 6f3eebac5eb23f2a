import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../deps.js';
import { eventView } from '../views.js';

interface EventsQuery {
  since?: number;
  limit?: number;
}

export function registerEventRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get<{ Querystring: EventsQuery }>(
    '/api/events',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            since: { type: 'integer', minimum: 0 },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
      },
    },
    (req) => {
      const { since, limit = 100 } = req.query;
      // Without `since`, the newest events (what a page shows first); with it, everything after it in order.
      const rows = since === undefined ? deps.events.recent(limit) : deps.events.list(since, limit);
      return { events: rows.map(eventView) };
    },
  );
}
