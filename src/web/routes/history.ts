import type { FastifyInstance } from 'fastify';
import { ErrorCode, UpsguardError } from '../../errors.js';
import type { WebRouteOptions } from '../deps.js';
import type { JsonSchemaProvider } from '../plugins/json-schema.js';

const historyQuery = {
  type: 'object',
  required: ['ups', 'var'],
  additionalProperties: false,
  properties: {
    ups: { type: 'string', minLength: 1, maxLength: 64 },
    var: { type: 'string', pattern: '^[a-z0-9.]{1,64}$' },
    from: { type: 'string', maxLength: 40 },
    to: { type: 'string', maxLength: 40 },
  },
} as const;

function parseTime(text: string | undefined, fallback: number, name: string): number {
  if (text === undefined) return fallback;
  const t = Date.parse(text);
  if (Number.isNaN(t)) {
    throw new UpsguardError(ErrorCode.RequestInvalid, `${name}: ${JSON.stringify(text)} is not an ISO 8601 time`);
  }
  return t;
}

export function historyRoutes(instance: FastifyInstance, { deps }: WebRouteOptions): void {
  const app = instance.withTypeProvider<JsonSchemaProvider>();
  app.get('/api/history', { schema: { querystring: historyQuery } }, (req) => {
    const q = req.query;
    if (!deps.ups.some((u) => u.name === q.ups)) {
      throw new UpsguardError(ErrorCode.NotFound, `ups: no UPS named ${JSON.stringify(q.ups)}`);
    }
    const to = parseTime(q.to, deps.now(), 'to');
    const from = parseTime(q.from, to - 3_600_000, 'from');
    if (from > to) throw new UpsguardError(ErrorCode.RequestInvalid, 'from: must not be after to');
    const resolution = deps.readings.resolutionFor(to - from);
    const points = deps.readings.history(q.ups, q.var, from, to, resolution);
    return {
      ups: q.ups,
      var: q.var,
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      resolution,
      points: points.map((p) => ({ at: new Date(p.at).toISOString(), min: p.min, avg: p.avg, max: p.max })),
    };
  });
}
