import type { NewStep, RunRow, ShutdownJournal, StepResult, StepRow, TargetOutcomeRow } from './journal.js';

/** What a run tells while it goes: the run (started, into a new phase, ended) and each step as it starts and ends. */
export interface RunProgress {
  run(row: RunRow, phase: string | null): void;
  step(row: StepRow): void;
}

/**
 * The journal as a run writes it, telling each write as it happens: the rows are built from what was written, so the
 * live page costs no read of the journal per step. Steps begun before a restart are not told when they are closed:
 * their beginning was told by the process that began them.
 */
export function progressJournal(journal: ShutdownJournal, progress: RunProgress): ShutdownJournal {
  const open = new Map<number, StepRow>();
  const phaseOf = new Map<number, string>();
  const told = (row: StepRow): void => {
    progress.step(row);
    if (phaseOf.get(row.runId) === row.phase) return;
    phaseOf.set(row.runId, row.phase);
    const run = journal.run(row.runId);
    if (run) progress.run(run, row.phase);
  };
  const wrapped: Partial<ShutdownJournal> = {
    beginStep(s: NewStep): number {
      const id = journal.beginStep(s);
      const row: StepRow = {
        id,
        runId: s.runId,
        phase: s.phase,
        target: s.target,
        driver: s.driver,
        action: s.action,
        startedAt: s.at,
        finishedAt: null,
        result: null,
        error: null,
        detail: s.detail ?? null,
        outcome: null,
      };
      open.set(id, row);
      told(row);
      return id;
    },
    finishStep(id: number, at: number, result: StepResult, error: string | null = null, detail?: string): void {
      journal.finishStep(id, at, result, error, detail);
      const row = open.get(id);
      if (!row) return;
      open.delete(id);
      told({ ...row, finishedAt: at, result, error, detail: detail ?? row.detail });
    },
    recordOutcome(o: TargetOutcomeRow): number {
      const id = journal.recordOutcome(o);
      told({
        id,
        runId: o.runId,
        phase: o.phase,
        target: o.target,
        driver: o.driver,
        action: 'wait',
        startedAt: o.at,
        finishedAt: o.at,
        result: o.result,
        error: o.error,
        detail: o.detail ?? null,
        outcome: o.outcome,
      });
      return id;
    },
    finishRun(id, status, at, summary): void {
      journal.finishRun(id, status, at, summary);
      const run = journal.run(id);
      if (run) progress.run(run, phaseOf.get(id) ?? null);
      phaseOf.delete(id);
    },
  };
  return new Proxy(journal, {
    get: (target, prop, receiver) => {
      const own = (wrapped as Record<string | symbol, unknown>)[prop];
      if (own !== undefined) return own;
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}
