import type { FastifyInstance } from 'fastify';
import { ErrorCode, UpsguardError } from '../../errors.js';
import type { HistorySeries } from '../../store/readings.js';
import { EVENT_SEVERITY } from '../../ups/event-severity.js';
import type { HistoryRange, HistoryResponse, HistorySeriesView } from '../api-types/history.js';
import type { WebDeps, WebRouteOptions } from '../deps.js';
import type { JsonSchemaProvider } from '../plugins/json-schema.js';
import { csvAttachment, csvRow } from './csv.js';

/** What a chart can draw on a 1366 px screen and more; each range is merged in SQL to stay under it. */
export const MAX_HISTORY_POINTS = 1500;
/** Markers per window: a flapping UPS must not turn the chart's answer into the whole event log. */
const MAX_MARKERS = 500;
const MAX_VARS = 5;

const RANGE_MS: Readonly<Record<HistoryRange, number>> = {
  '1h': 3_600_000,
  '24h': 86_400_000,
  '7d': 7 * 86_400_000,
  '30d': 30 * 86_400_000,
  '1y': 365 * 86_400_000,
};

const historyQuery = {
  type: 'object',
  required: ['ups', 'var'],
  additionalProperties: false,
  properties: {
    ups: { type: 'string', minLength: 1, maxLength: 64 },
    // One variable, or a few separated by commas: var=battery.charge,battery.runtime
    var: { type: 'string', pattern: '^[a-z0-9.]{1,64}(,[a-z0-9.]{1,64})*$', maxLength: 400 },
    range: { type: 'string', enum: ['1h', '24h', '7d', '30d', '1y'] },
    from: { type: 'string', maxLength: 40 },
    to: { type: 'string', maxLength: 40 },
  },
} as const;

const numbers = { type: 'array', items: { type: 'number' } } as const;

/**
 * The answer's shape for fastify's compiled serializer: a year's band is thousands of numbers, and a compiled
 * stringifier writes columns of numbers without walking an object per point.
 */
const historyResponse = {
  200: {
    type: 'object',
    properties: {
      ups: { type: 'string' },
      var: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      range: { type: ['string', 'null'] },
      resolution: { type: 'string' },
      bucketMs: { type: 'integer' },
      series: {
        type: 'array',
        items: {
          type: 'object',
          properties: { var: { type: 'string' }, at: numbers, min: numbers, avg: numbers, max: numbers },
        },
      },
      markers: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            id: { type: 'integer' },
            at: { type: 'string' },
            type: { type: 'string' },
            severity: { type: 'string' },
            message: { type: 'string' },
          },
        },
      },
    },
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

interface HistoryQuery {
  ups: string;
  var: string;
  range?: HistoryRange;
  from?: string;
  to?: string;
}

interface Window {
  readonly ups: string;
  readonly vars: string[];
  readonly range: HistoryRange | null;
  readonly from: number;
  readonly to: number;
}

function windowOf(deps: WebDeps, q: HistoryQuery): Window {
  if (!deps.ups.some((u) => u.name === q.ups)) {
    throw new UpsguardError(ErrorCode.NotFound, `ups: no UPS named ${JSON.stringify(q.ups)}`);
  }
  const vars = [...new Set(q.var.split(','))];
  if (vars.length > MAX_VARS) {
    throw new UpsguardError(ErrorCode.RequestInvalid, `var: at most ${MAX_VARS} variables at once, not ${vars.length}`);
  }
  if (q.range !== undefined && q.from !== undefined) {
    throw new UpsguardError(ErrorCode.RequestInvalid, 'range: give either range or from, not both');
  }
  const to = parseTime(q.to, deps.now(), 'to');
  const span = q.range === undefined ? 3_600_000 : RANGE_MS[q.range];
  const from = parseTime(q.from, to - span, 'from');
  if (from > to) throw new UpsguardError(ErrorCode.RequestInvalid, 'from: must not be after to');
  return { ups: q.ups, vars, range: q.range ?? null, from, to };
}

const isoAt = (ms: number): string => new Date(ms).toISOString();

function seriesView(name: string, s: HistorySeries): HistorySeriesView {
  return { var: name, at: s.at, min: s.min, avg: s.avg, max: s.max };
}

export function historyRoutes(instance: FastifyInstance, { deps }: WebRouteOptions): void {
  const app = instance.withTypeProvider<JsonSchemaProvider>();
  const read = (w: Window): HistorySeries[] =>
    w.vars.map((v) => deps.readings.series(w.ups, v, w.from, w.to, MAX_HISTORY_POINTS));

  app.get(
    '/api/history',
    { schema: { querystring: historyQuery, response: historyResponse }, config: { access: 'viewer' } },
    (req): HistoryResponse => {
      const w = windowOf(deps, req.query);
      const all = read(w);
      const series = all.map((s, i) => seriesView(w.vars[i]!, s));
      const first = all[0]!;
      return {
        ups: w.ups,
        var: w.vars[0]!,
        from: isoAt(w.from),
        to: isoAt(w.to),
        range: w.range,
        resolution: first.resolution,
        bucketMs: first.bucketMs,
        series,
        markers: deps.events.between(w.ups, w.from, w.to, MAX_MARKERS).map((e) => ({
          id: e.id,
          at: isoAt(e.at),
          type: e.type,
          severity: EVENT_SEVERITY[e.type],
          message: e.message,
        })),
      };
    },
  );

  // One file a spreadsheet opens: with several variables, one row per variable and bucket, the variable named.
  app.get('/api/history.csv', { schema: { querystring: historyQuery }, config: { access: 'viewer' } }, (req, reply) => {
    const w = windowOf(deps, req.query);
    const all = read(w);
    const several = w.vars.length > 1;
    const lines = [csvRow(several ? ['var', 'at', 'min', 'avg', 'max'] : ['at', 'min', 'avg', 'max'])];
    all.forEach((s, i) => {
      for (let j = 0; j < s.at.length; j++) {
        const cells = [isoAt(s.at[j]!), s.min[j]!, s.avg[j]!, s.max[j]!];
        lines.push(csvRow(several ? [w.vars[i]!, ...cells] : cells));
      }
    });
    return csvAttachment(reply, `history-${w.ups}-${w.vars.join('+')}.csv`, lines);
  });
}
