import type { FastifyInstance, FastifyReply } from 'fastify';
import { ErrorCode, UpsguardError } from '../../errors.js';
import type { RunRow, StepRow } from '../../shutdown/journal.js';
import { RestoreRefused } from '../../shutdown/restore-after-test.js';
import { abortRefusal, abortedBy, runKind, type Refusal } from '../../shutdown/run-abort.js';
import { dryRunVerdict } from '../../shutdown/verdict.js';
import type { AbortView, RestoreView, RunDetailView, RunView, RunsListView, StepView } from '../api-types/runs.js';
import type { ShutdownRouteOptions } from '../facade.js';
import type { JsonSchemaProvider } from '../plugins/json-schema.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * A run as the page shows it. `steps` (the run's, in order) give its current phase and, for a finished dry run, the
 * verdict; without them both are null (the list of runs reads no steps).
 */
export function runView(r: RunRow, steps?: readonly StepRow[], phase?: string | null): RunView {
  return {
    id: r.id,
    plan: r.plan,
    mode: r.mode,
    kind: runKind(r),
    reason: r.reason,
    status: r.status,
    startedAt: new Date(r.startedAt).toISOString(),
    finishedAt: iso(r.finishedAt),
    estimateS: r.estimateS,
    runtimeLeftS: r.runtimeLeftS,
    subset: r.subset,
    passedPointOfNoReturn: r.passedPonr,
    summary: r.summary,
    phase: phase !== undefined ? phase : (steps?.at(-1)?.phase ?? null),
    abortedBy: r.status === 'aborted' ? abortedBy(r.summary) : null,
    verdict: r.mode === 'dry' && r.status !== 'running' && steps ? dryRunVerdict(r, steps) : null,
  };
}

export function stepView(s: StepRow): StepView {
  return {
    id: s.id,
    runId: s.runId,
    phase: s.phase,
    target: s.target,
    driver: s.driver,
    action: s.action,
    startedAt: new Date(s.startedAt).toISOString(),
    finishedAt: iso(s.finishedAt),
    durationMs: s.finishedAt === null ? null : s.finishedAt - s.startedAt,
    result: s.result,
    error: s.error,
    detail: s.detail,
    outcome: s.outcome,
  };
}

/** One run with its steps, as GET /api/runs/:id and the dry run answer it. */
export function runDetail(run: RunRow, steps: readonly StepRow[]): RunDetailView {
  return { run: runView(run, steps), steps: steps.map(stepView) };
}

const runsQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { limit: { type: 'integer', minimum: 1, maximum: 500 } },
} as const;

const runParams = {
  type: 'object',
  properties: { id: { type: 'integer', minimum: 1 } },
  required: ['id'],
} as const;

/** The run journal, read-only: the newest runs and the ones in progress, and one run with its steps. */
export function runRoutes(instance: FastifyInstance, { shutdown }: ShutdownRouteOptions): void {
  const app = instance.withTypeProvider<JsonSchemaProvider>();
  app.get('/api/runs', { config: { access: 'viewer' }, schema: { querystring: runsQuery } }, (req): RunsListView => ({
    runs: shutdown.runs(req.query.limit ?? 20).map((r) => runView(r)),
    active: shutdown.activeRuns(),
  }));
  app.get('/api/runs/:id', { config: { access: 'viewer' }, schema: { params: runParams } }, (req): RunDetailView => {
    const run = shutdown.run(req.params.id);
    if (!run) throw new UpsguardError(ErrorCode.NotFound, `no run ${req.params.id}`);
    return runDetail(run, shutdown.steps(run.id));
  });
}

function refuse(reply: FastifyReply, r: Refusal): FastifyReply {
  const error = r.status === 404 ? ErrorCode.NotFound : r.status === 403 ? ErrorCode.Forbidden : ErrorCode.RunConflict;
  return reply.status(r.status).send({ error, message: r.message });
}

/**
 * Stopping a run and starting again what a test shut down. Both routes are 'operator'; aborting a real run of the whole
 * plan needs an admin, checked here against the caller's role, since the route's access cannot depend on the run.
 */
export function runActionRoutes(instance: FastifyInstance, { shutdown }: ShutdownRouteOptions): void {
  const app = instance.withTypeProvider<JsonSchemaProvider>();
  app.post('/api/runs/:id/abort', { config: { access: 'operator' }, schema: { params: runParams } }, (req, reply) => {
    const id = req.params.id;
    const run = shutdown.run(id);
    req.auditDetail = `abort of run ${id}`;
    const who = req.principal;
    if (!who) return refuse(reply, { status: 403, message: 'aborting a run needs a logged-in operator or admin' });
    const refusal = abortRefusal(run, id, shutdown.activeRuns().includes(id), who.role);
    if (refusal) return refuse(reply, refusal);
    try {
      void shutdown.abortRun(id, who.name).done.catch(() => undefined);
    } catch (err) {
      if (err instanceof UpsguardError && err.code === ErrorCode.RunConflict) {
        return refuse(reply, { status: 409, message: err.message });
      }
      throw err;
    }
    const latchKept = run !== undefined && runKind(run) === 'outage' && shutdown.outageLatched();
    const message = latchKept
      ? `run ${id} is stopping (aborted by ${who.name}); the outage latch stays set, so this outage will not start another run by itself (it clears once mains has returned and held)`
      : `run ${id} is stopping (aborted by ${who.name}): no new step starts, steps in flight finish their current call`;
    const body: AbortView = { runId: id, status: 'aborting', message, latchKept };
    return reply.status(202).send(body);
  });

  app.post(
    '/api/runs/:id/restore',
    { config: { access: 'operator' }, schema: { params: runParams } },
    async (req, reply) => {
      const id = req.params.id;
      req.auditDetail = `restore of run ${id}`;
      try {
        const r = await shutdown.restoreRun(id);
        const body: RestoreView = { runId: id, restored: r.restored, failed: r.failed };
        return await reply.send(body);
      } catch (err) {
        if (err instanceof RestoreRefused) return refuse(reply, err.refusal);
        if (err instanceof UpsguardError && err.code === ErrorCode.RunConflict) {
          return refuse(reply, { status: 409, message: err.message });
        }
        throw err;
      }
    },
  );
}
