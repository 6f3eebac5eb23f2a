import type { FastifyInstance } from 'fastify';
import type { CommsState } from '../../ups/events.js';
import type { AliveResponse, ReadyResponse } from '../api-types/health.js';
import type { WebDeps, WebRouteOptions } from '../deps.js';

const aliveSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['ok'] } },
} as const;

const readySchema = {
  type: 'object',
  required: ['status', 'reasons', 'ups'],
  properties: {
    status: { type: 'string', enum: ['ready', 'not_ready'] },
    reasons: { type: 'array', items: { type: 'string' } },
    ups: { type: 'object', additionalProperties: { type: 'string', enum: ['ok', 'stale', 'lost', 'unknown'] } },
  },
} as const;

/** Whether the appliance can do its job now, and if not why: parts, store, each UPS's contact. */
export function readiness(deps: Pick<WebDeps, 'ups' | 'store' | 'health'>): ReadyResponse {
  const reasons: string[] = [];
  const parts = deps.health?.parts?.();
  if (parts && parts.missing.length > 0) reasons.push(`not running: ${parts.missing.join(', ')}`);
  const store = deps.store?.();
  if (store && store.state !== 'ok') reasons.push('the store does not take writes: history is kept in memory');
  const ups: Record<string, CommsState> = {};
  for (const u of deps.ups) {
    const comms = u.snapshot().comms;
    ups[u.name] = comms;
    if (comms === 'lost') reasons.push(`UPS ${u.name}: contact lost`);
    else if (comms === 'unknown') reasons.push(`UPS ${u.name}: not reached yet`);
  }
  return { status: reasons.length === 0 ? 'ready' : 'not_ready', reasons, ups };
}

/**
 * GET /healthz (alive: it answers while the event loop turns) and GET /readyz (ready to protect). Public: they say
 * nothing secret, and a supervisor or load balancer probes them without credentials.
 */
export function healthRoutes(app: FastifyInstance, { deps }: WebRouteOptions): void {
  app.get(
    '/healthz',
    { config: { access: 'public' }, schema: { summary: 'Alive', response: { 200: aliveSchema } } },
    (): AliveResponse => ({ status: 'ok' }),
  );
  app.get(
    '/readyz',
    {
      config: { access: 'public' },
      schema: { summary: 'Ready: parts, store, UPS contact', response: { 200: readySchema, 503: readySchema } },
    },
    (_req, reply) => {
      const r = readiness(deps);
      return reply.status(r.status === 'ready' ? 200 : 503).send(r);
    },
  );
}
