import type { FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCode, UpsguardError } from '../../errors.js';
import type { Target } from '../../shutdown/drivers/driver.js';
import type { RunRow } from '../../shutdown/journal.js';
import { PlanError } from '../../shutdown/plan.js';
import { targetList } from '../../shutdown/target-list.js';
import { dryRunVerdict, planOfRun, runTargets } from '../../shutdown/verdict.js';
import type {
  DriverCheckView,
  LastDryRunView,
  PlanPageView,
  PlanTargetView,
  PowerStateView,
} from '../api-types/plan.js';
import type { DryRunResultView, TestStartedView } from '../api-types/runs.js';
import type { WebDeps } from '../deps.js';
import type { ShutdownFacade, ShutdownRouteOptions } from '../facade.js';
import { phaseViews } from '../plan-phases.js';
import type { JsonSchemaProvider } from '../plugins/json-schema.js';
import { runActionRoutes, runDetail } from './runs.js';

function planError(reply: FastifyReply, err: unknown): unknown {
  if (err instanceof PlanError) {
    return reply.status(409).send({ error: err.code, message: err.message, problems: err.problems });
  }
  if (err instanceof UpsguardError && err.code === ErrorCode.RunConflict) {
    return reply.status(409).send({ error: err.code, message: err.message });
  }
  throw err;
}

/** How many runs back the plan page looks for the last dry run. */
const DRY_RUN_LOOKBACK = 50;

function lastDryRun(shutdown: ShutdownFacade): { run: RunRow; view: LastDryRunView } | null {
  const run = shutdown.runs(DRY_RUN_LOOKBACK).find((r) => r.mode === 'dry');
  if (!run) return null;
  const steps = shutdown.steps(run.id);
  const plan = planOfRun(run);
  const targets = plan ? runTargets(plan, steps) : [];
  return {
    run,
    view: {
      id: run.id,
      at: new Date(run.startedAt).toISOString(),
      status: run.status,
      verdict: run.status === 'running' ? null : dryRunVerdict(run, steps),
      targets: targets.map((t) => ({
        name: t.name,
        driver: t.driver,
        phase: t.phase,
        durationS: t.durationS,
        outcome: t.outcome,
      })),
    },
  };
}

/** Everything the plan page shows, in one answer: GET /api/plan. */
export function planView(deps: WebDeps, shutdown: ShutdownFacade): PlanPageView {
  const { plan, estimate, problems, unreachable } = shutdown.plan();
  const cluster = shutdown.clusterStates();
  const reports = shutdown.driverReports();
  const listed = targetList(plan, reports);
  const found = new Map(listed.map((t) => [`${t.driver}\u0000${t.name}`, t]));
  const powers = new Map(cluster.map((n) => [n.name, n.power]));
  const dry = lastDryRun(shutdown);
  const dryS = new Map(dry?.view.targets.map((t) => [t.name, t.durationS]) ?? []);
  const target = (t: Target): PlanTargetView => {
    const e = estimate?.targets.get(t.name);
    const f = found.get(`${t.driver}\u0000${t.name}`);
    return {
      name: t.name,
      kind: t.kind,
      host: t.host ?? null,
      driver: t.driver,
      // The simulated cluster is read now; a real driver's state is its last check's.
      power: (powers.get(t.name) as PowerStateView | null | undefined) ?? f?.power ?? null,
      tools: f?.tools ?? null,
      estimate: e ? { medianS: e.medianMs / 1000, p90S: e.p90Ms / 1000, source: e.source, samples: e.samples } : null,
      lastDryRunS: dryS.get(t.name) ?? null,
    };
  };
  const d = shutdown.decision();
  const drivers: DriverCheckView[] = reports.map((r) => ({
    driver: r.driver,
    ok: r.ok,
    checkedAt: new Date(r.checkedAt).toISOString(),
    checks: r.checks,
    targets: r.targets,
  }));
  return {
    plan: plan && {
      name: plan.name,
      phases: phaseViews(plan, estimate, target),
      finalHosts: plan.finalHosts.map(target),
      loadOff: plan.loadOff,
      pointOfNoReturn: plan.pointOfNoReturn,
      self: plan.self,
      notes: plan.notes,
    },
    estimate: estimate && { totalS: estimate.totalS, phases: estimate.phases },
    runtimeLeftS: runtimeLeft(deps, shutdown),
    problems,
    unreachable,
    decision: d && {
      level: d.level,
      reasons: d.reasons.map((r) => ({ trigger: r.trigger, ups: r.ups, message: r.message })),
    },
    cluster: cluster.map((n) => ({ name: n.name, kind: n.kind, host: n.host, power: n.power })),
    targets: listed,
    lastDryRun: dry?.view ?? null,
    jobs:
      deps.jobs
        ?.list()
        .map((j) => ({ ...j, lastRunAt: j.lastRunAt === null ? null : new Date(j.lastRunAt).toISOString() })) ?? [],
    drivers,
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
  app.get('/api/plan', { config: { access: 'viewer' } }, (): PlanPageView => planView(deps, shutdown));
}

const testBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    // Dry by default: a real test is asked for by name, with the plan's name typed as `confirm`.
    mode: { type: 'string', enum: ['dry', 'real'] },
    subset: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 10_000 },
    confirm: { type: 'string' },
  },
} as const;

/** What starts, stops and restores after a run: dry runs and tests for operators; the route checks the rest. */
export function shutdownActionRoutes(instance: FastifyInstance, opts: ShutdownRouteOptions): void {
  const { shutdown } = opts;
  const app = instance.withTypeProvider<JsonSchemaProvider>();
  app.post('/api/plan/dry-run', { config: { access: 'operator' } }, async (req, reply) => {
    req.auditDetail = 'dry run of the plan';
    try {
      const { runId, done } = await shutdown.startRun('dry', 'dry run from the API');
      const run = await done;
      const detail = runDetail(run, shutdown.steps(runId));
      const body: DryRunResultView = { ...detail, verdict: detail.run.verdict ?? dryRunVerdict(run, []) };
      return body;
    } catch (err) {
      return planError(reply, err);
    }
  });

  app.post('/api/shutdown/test', { config: { access: 'operator' }, schema: { body: testBody } }, async (req, reply) => {
    const { mode = 'dry', subset, confirm } = req.body;
    const name = shutdown.plan().plan?.name;
    if (mode === 'real' && (name === undefined || confirm !== name)) {
      throw new UpsguardError(
        ErrorCode.RequestInvalid,
        `a real test shutdown needs "confirm" set to the plan's name${name === undefined ? '' : ` (${name})`}`,
      );
    }
    // A real test of the whole plan ends in the UPS's load-off and every host down: an outage's run, an admin's call.
    // (An empty subset is refused below for every role: it never means the whole plan.)
    const wholePlan = subset === undefined;
    if (mode === 'real' && wholePlan && req.principal?.role !== 'admin') {
      return reply.status(403).send({
        error: ErrorCode.Forbidden,
        message: 'a real test of the whole plan needs the admin role; an operator tests a subset',
      });
    }
    req.auditDetail = `test shutdown (${mode})${subset ? ` of ${subset.join(', ')}` : ''}`;
    try {
      const { runId } = await shutdown.startRun(mode, `test shutdown (${mode}) from the page`, subset ?? null);
      const body: TestStartedView = { runId };
      return await reply.status(202).send(body);
    } catch (err) {
      return planError(reply, err);
    }
  });

  void instance.register(runActionRoutes, opts);
}
