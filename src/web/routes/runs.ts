import type { FastifyInstance } from 'fastify';
import { ErrorCode, UpsguardError } from '../../errors.js';
import type { RunRow, StepRow } from '../../shutdown/journal.js';
import type { ShutdownRouteOptions } from '../facade.js';
import type { JsonSchemaProvider } from '../plugins/json-schema.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function runView(r: RunRow): Record<string, unknown> {
  return {
    id: r.id,
    plan: r.plan,
    mode: r.mode,
    reason: r.reason,
    status: r.status,
    startedAt: iso(r.startedAt),
    finishedAt: iso(r.finishedAt),
    estimateS: r.estimateS,
    runtimeLeftS: r.runtimeLeftS,
    subset: r.subset,
    passedPointOfNoReturn: r.passedPonr,
    summary: r.summary,
  };
}

export function stepView(s: StepRow): Record<string, unknown> {
  return {
    id: s.id,
    phase: s.phase,
    target: s.target,
    driver: s.driver,
    action: s.action,
    startedAt: iso(s.startedAt),
    finishedAt: iso(s.finishedAt),
    durationMs: s.finishedAt === null ? null : s.finishedAt - s.startedAt,
    result: s.result,
    error: s.error,
    detail: s.detail,
    outcome: s.outcome,
  };
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
  app.get('/api/runs', { schema: { querystring: runsQuery } }, (req) => ({
    runs: shutdown.runs(req.query.limit ?? 20).map(runView),
    active: shutdown.activeRuns(),
  }));
  app.get('/api/runs/:id', { schema: { params: runParams } }, (req) => {
    const run = shutdown.run(req.params.id);
    if (!run) throw new UpsguardError(ErrorCode.NotFound, `no run ${req.params.id}`);
    return { run: runView(run), steps: shutdown.steps(run.id).map(stepView) };
  });
}
