import type { FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCode, UpsguardError } from '../../errors.js';
import { PlanError, type ResolvedPlan } from '../../shutdown/plan.js';
import type { WebDeps } from '../deps.js';
import type { ShutdownFacade, ShutdownRouteOptions } from '../facade.js';
import type { JsonSchemaProvider } from '../plugins/json-schema.js';
import { runView, stepView } from './runs.js';

function planError(reply: FastifyReply, err: unknown): unknown {
  if (err instanceof PlanError) {
    return reply.status(409).send({ error: err.code, message: err.message, problems: err.problems });
  }
  if (err instanceof UpsguardError && err.code === ErrorCode.RunConflict) {
    return reply.status(409).send({ error: err.code, message: err.message });
  }
  throw err;
}

export function planView(shutdown: ShutdownFacade, runtimeLeftS: number | null): Record<string, unknown> {
  const { plan, estimate, problems, unreachable } = shutdown.plan();
  const cluster = shutdown.clusterStates();
  const powers = new Map(cluster.map((n) => [n.name, n.power]));
  const power = (name: string): string | null => powers.get(name) ?? null;
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
    cluster: cluster.map((n) => ({ name: n.name, kind: n.kind, host: n.host, power: n.power })),
  };
}

/** Battery runtime left on the plan's load-off UPS (else the first), in seconds. */
function runtimeLeft(deps: WebDeps, shutdown: ShutdownFacade): number | null {
  const ups = shutdown.plan().plan?.loadOff?.ups;
  const w = deps.ups.find((u) => u.name === ups) ?? deps.ups[0];
  const v = w?.snapshot().variables['battery.runtime'];
  return v === undefined ? null : Number(v);
}

/** The plan as the page shows it: read-only. */
export function planRoutes(app: FastifyInstance, { deps, shutdown }: ShutdownRouteOptions): void {
  app.get('/api/plan', () => ({
    ...planView(shutdown, runtimeLeft(deps, shutdown)),
    jobs: deps.jobs?.list().map((j) => ({ ...j, lastRunAt: j.lastRunAt && new Date(j.lastRunAt).toISOString() })) ?? [],
    drivers: shutdown.driverReports().map((r) => ({ ...r, checkedAt: new Date(r.checkedAt).toISOString() })),
  }));
}

const testBody = {
  type: 'object',
  additionalProperties: false,
  required: ['mode'],
  properties: {
    mode: { type: 'string', enum: ['dry', 'real'] },
    subset: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 10_000 },
    confirm: { type: 'string' },
  },
} as const;

/** What starts a run. Registered only inside the admin context, whose onRequest hook decides who may call it. */
export function shutdownActionRoutes(instance: FastifyInstance, { shutdown }: ShutdownRouteOptions): void {
  const app = instance.withTypeProvider<JsonSchemaProvider>();
  app.post('/api/plan/dry-run', async (_req, reply) => {
    try {
      const { runId, done } = await shutdown.startRun('dry', 'dry run from the API');
      const run = await done;
      return { run: runView(run), steps: shutdown.steps(runId).map(stepView) };
    } catch (err) {
      return planError(reply, err);
    }
  });

  app.post('/api/shutdown/test', { schema: { body: testBody } }, async (req, reply) => {
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
  });
}
