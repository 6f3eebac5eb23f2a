import type { FastifyInstance } from 'fastify';
import { ErrorCode, UpsguardError } from '../../errors.js';
import type { EventFilter } from '../../store/events.js';
import { UPS_EVENT_TYPES, type UpsEventType } from '../../ups/events.js';
import type { EventsResponse } from '../api-types/events.js';
import type { WebRouteOptions } from '../deps.js';
import type { JsonSchemaProvider } from '../plugins/json-schema.js';
import { eventView } from '../views.js';
import { csvAttachment, csvRow } from './csv.js';

/** Rows one CSV export holds at most, newest first: a year of a flapping UPS, not an unbounded answer. */
const MAX_CSV_ROWS = 100_000;

const filterProperties = {
  type: { type: 'string', maxLength: 1000 },
  ups: { type: 'string', minLength: 1, maxLength: 64 },
  before: { type: 'integer', minimum: 1 },
} as const;

const eventsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    ...filterProperties,
    // The live page's catch-up after a reconnect: everything after this id, oldest first.
    since: { type: 'integer', minimum: 0 },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
  },
} as const;

const csvQuery = { type: 'object', additionalProperties: false, properties: filterProperties } as const;

const KNOWN_TYPES: ReadonlySet<string> = new Set(UPS_EVENT_TYPES);

function filterOf(q: { type?: string; ups?: string }): EventFilter {
  const types = q.type === undefined ? [] : q.type.split(',').map((t) => t.trim().toUpperCase());
  const unknown = types.filter((t) => !KNOWN_TYPES.has(t));
  if (unknown.length > 0) {
    throw new UpsguardError(
      ErrorCode.RequestInvalid,
      `type: unknown event type ${unknown.map((t) => JSON.stringify(t)).join(', ')} (known: ${UPS_EVENT_TYPES.join(', ')})`,
    );
  }
  // Any UPS name may be asked for, not only configured ones: the log keeps events of UPSes since removed from config.
  return {
    ...(q.ups === undefined ? {} : { ups: q.ups }),
    ...(types.length > 0 ? { types: types as UpsEventType[] } : {}),
  };
}

export function eventRoutes(instance: FastifyInstance, { deps }: WebRouteOptions): void {
  const app = instance.withTypeProvider<JsonSchemaProvider>();
  app.get(
    '/api/events',
    { schema: { querystring: eventsQuery }, config: { access: 'viewer' } },
    (req): EventsResponse => {
      const { since, before, limit = 100 } = req.query;
      if (since !== undefined && before !== undefined) {
        throw new UpsguardError(ErrorCode.RequestInvalid, 'since: give either since or before, not both');
      }
      const filter = filterOf(req.query);
      if (since !== undefined) {
        const after = deps.events
          .list(since, limit)
          .filter(
            (e) =>
              (filter.ups === undefined || e.ups === filter.ups) && (!filter.types || filter.types.includes(e.type)),
          );
        return { events: after.map(eventView), nextBefore: null };
      }
      const page = deps.events.page(filter, before ?? null, limit);
      return { events: page.events.map(eventView), nextBefore: page.more ? (page.events.at(-1)?.id ?? null) : null };
    },
  );

  app.get('/api/events.csv', { schema: { querystring: csvQuery }, config: { access: 'viewer' } }, (req, reply) => {
    const filter = filterOf(req.query);
    const { events } = deps.events.page(filter, req.query.before ?? null, MAX_CSV_ROWS);
    const lines = [csvRow(['id', 'at', 'type', 'severity', 'ups', 'message'])];
    for (const e of events.map(eventView)) lines.push(csvRow([e.id, e.at, e.type, e.severity, e.ups, e.message]));
    return csvAttachment(reply, 'events.csv', lines);
  });
}
