import type { FastifyInstance } from 'fastify';
import { ErrorCode, UpsguardError } from '../../errors.js';
import type { RunRow, StepRow } from '../../shutdown/journal.js';
import type { ShutdownService } from '../../shutdown/service.js';

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

export function registerRunRoutes(app: FastifyInstance, shutdown: ShutdownService): void {
  const journal = shutdown.runner.journal;
  app.get<{ Querystring: { limit?: number } }>(
    '/api/runs',
    {
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { limit: { type: 'integer', minimum: 1, maximum: 500 } },
        },
      },
    },
    (req) => ({ runs: journal.runs(req.query.limit ?? 20).map(runView), active: shutdown.runner.activeRuns() }),
  );
  app.get<{ Params: { id: number } }>(
    '/api/runs/:id',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
      },
    },
    (req) => {
      const run = journal.run(req.params.id);
      if (!run) throw new UpsguardError(ErrorCode.NotFound, `no run ${req.params.id}`);
      return { run: runView(run), steps: journal.steps(run.id).map(stepView) };
    },
  );
}
