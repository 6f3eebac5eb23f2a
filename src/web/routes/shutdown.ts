import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, UpsguardError } from '../../errors.js';
import { PlanError, type ResolvedPlan } from '../../shutdown/plan.js';
import type { ShutdownService } from '../../shutdown/service.js';
import type { WebDeps } from '../deps.js';
import { registerRunRoutes, runView, stepView } from './runs.js';

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** Until login exists, whatever can power something off answers only to this machine. */
function loopbackOnly(req: FastifyRequest, reply: FastifyReply): boolean {
  if (LOOPBACK.has(req.socket.remoteAddress ?? '')) return true;
  void reply.status(403).send({ error: ErrorCode.Forbidden, message: 'this action is allowed from loopback only' });
  return false;
}

function planError(reply: FastifyReply, err: unknown): unknown {
  if (err instanceof PlanError) {
    return reply.status(409).send({ error: err.code, message: err.message, problems: err.problems });
  }
  if (err instanceof UpsguardError && err.code === ErrorCode.RunConflict) {
    return reply.status(409).send({ error: err.code, message: err.message });
  }
  throw err;
}

export function planView(shutdown: ShutdownService, runtimeLeftS: number | null): Record<string, unknown> {
  const { plan, estimate, problems, unreachable } = shutdown.plan();
  const power = (name: string): string | null => {
    try {
      return shutdown.cluster?.node(name) ? shutdown.cluster.get(name).power : null;
    } catch {
      return null;
    }
  };
  const target = (t: ResolvedPlan['phases'][number]['targets'][number]): Record<string, unknown> => {
    const e = estimate?.targets.get(t.name);
    return {
      name: t.name,
      kind: t.kind,
      host: t.host ?? null,
      driver: t.driver,
      power: power(t.name),
      estimate: e ? { medianS: e.medianMs / 1000, p90S: e.p90Ms / 1000, source: e.source, samples: e.samples } : null,
    };
  };
  const d = shutdown.decision();
  return {
    plan: plan && {
      name: plan.name,
      phases: plan.phases.map((p) => ({
        name: p.name,
        method: p.method,
        timeoutS: p.timeoutMs / 1000,
        concurrency: p.concurrency,
        pointOfNoReturn: p.name === plan.pointOfNoReturn,
        targets: p.targets.map(target),
      })),
      finalHosts: plan.finalHosts.map(target),
      loadOff: plan.loadOff,
      pointOfNoReturn: plan.pointOfNoReturn,
      self: plan.self,
      notes: plan.notes,
    },
    estimate: estimate && { totalS: estimate.totalS, phases: estimate.phases },
    runtimeLeftS,
    problems,
    unreachable,
    decision: d && {
      level: d.level,
      reasons: d.reasons.map((r) => ({ trigger: r.trigger, ups: r.ups, message: r.message })),
    },
    cluster:
      shutdown.cluster?.nodes.map((n) => ({
        name: n.name,
        kind: n.kind,
        host: n.host ?? null,
        power: power(n.name),
      })) ?? [],
  };
}

interface TestBody {
  mode: 'dry' | 'real';
  subset?: string[];
  confirm?: string;
}

export function registerShutdownRoutes(app: FastifyInstance, deps: WebDeps): void {
  const body = readFileSync(new URL('../assets/shutdown.js', import.meta.url));
  app.get('/shutdown.js', (_req, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(body),
  );
  const shutdown = deps.shutdown;
  if (!shutdown) return;
  const runtimeLeft = (): number | null => {
    const ups = shutdown.plan().plan?.loadOff?.ups;
    const w = deps.ups.find((u) => u.name === ups) ?? deps.ups[0];
    const v = w?.snapshot().variables['battery.runtime'];
    return v === undefined ? null : Number(v);
  };
  registerRunRoutes(app, shutdown);

  app.get('/api/plan', () => ({
    ...planView(shutdown, runtimeLeft()),
    jobs: deps.jobs?.list().map((j) => ({ ...j, lastRunAt: j.lastRunAt && new Date(j.lastRunAt).toISOString() })) ?? [],
    drivers: shutdown.driverReports().map((r) => ({ ...r, checkedAt: new Date(r.checkedAt).toISOString() })),
  }));

  app.post('/api/plan/dry-run', async (req, reply) => {
    if (!loopbackOnly(req, reply)) return reply;
    try {
      const { runId, done } = await shutdown.startRun('dry', 'dry run from the API');
      const run = await done;
      return { run: runView(run), steps: shutdown.runner.journal.steps(runId).map(stepView) };
    } catch (err) {
      return planError(reply, err);
    }
  });

  app.post<{ Body: TestBody }>(
    '/api/shutdown/test',
    {
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['mode'],
          properties: {
            mode: { type: 'string', enum: ['dry', 'real'] },
            subset: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 10_000 },
            confirm: { type: 'string' },
          },
        },
      },
    },
    async (req, reply) => {
      if (!loopbackOnly(req, reply)) return reply;
      const { mode, subset, confirm } = req.body;
      const name = shutdown.plan().plan?.name;
      if (mode === 'real' && (name === undefined || confirm !== name)) {
        throw new UpsguardError(
          ErrorCode.RequestInvalid,
          `a real test shutdown needs "confirm" set to the plan's name${name === undefined ? '' : ` (${name})`}`,
        );
      }
      try {
        const { runId } = await shutdown.startRun(mode, `test shutdown (${mode}) from the page`, subset ?? null);
        return await reply.status(202).send({ runId });
      } catch (err) {
        return planError(reply, err);
      }
    },
  );
}
