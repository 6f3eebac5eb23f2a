import type { Target } from './drivers/driver.js';
import type { RunRow, StepRow } from './journal.js';
import type { ResolvedPlan } from './plan.js';
import { ErrorCode, UpsguardError } from '../errors.js';
import { runKind, type Refusal } from './run-abort.js';
import { shedInJournal, type RestartResult, type ShutdownRunner } from './runner.js';

/**
 * Starting again what a finished test run shut down. Pure: which runs may be restored, and which targets, in the
 * order to start them. Only a real test of a subset: a dry run shut nothing down, and after a real run of the whole
 * plan the hosts come back with mains (the UPS's on delay), not from here.
 */
export function restoreRefusal(run: RunRow | undefined, id: number, active: boolean): Refusal | null {
  if (!run) return { status: 404, message: `no run ${id}` };
  if (active || run.status === 'running') {
    return { status: 409, message: `run ${id} is still going: abort it or let it finish before restoring` };
  }
  const kind = runKind(run);
  if (kind === 'dry') return { status: 409, message: `run ${id} was a dry run: it shut nothing down` };
  if (kind === 'outage') {
    return {
      status: 409,
      message: `run ${id} was a real run of the whole plan: its hosts come back with mains, not from a restore after a test`,
    };
  }
  return null;
}

/**
 * What the run shut down, later phases first: the reverse of the order they went down in. Final hosts of the subset
 * count as the last phase. "Shut down" is what the journal shows the runner did (shedInJournal), and also a target whose
 * shutdown went out before an abort closed it as stopped: it goes down all the same.
 */
export function restorableTargets(plan: ResolvedPlan, steps: readonly StepRow[]): Target[] {
  const finals: ResolvedPlan = {
    ...plan,
    phases: [
      ...plan.phases,
      {
        name: '(final)',
        method: plan.finalMethod,
        timeoutMs: plan.finalTimeoutMs,
        concurrency: 1,
        targets: plan.finalHosts,
      },
    ],
  };
  const shed = shedInJournal(finals, steps);
  const named = new Set(shed.map((t) => t.name));
  for (const p of finals.phases) {
    for (const t of p.targets) {
      if (named.has(t.name)) continue;
      const rows = steps.filter((s) => s.target === t.name && s.phase === p.name);
      const stopped = rows.some((s) => s.outcome === 'stopped');
      const acted = rows.some(
        (s) =>
          (s.action === 'graceful' || s.action === 'hard_off') && (s.result === 'ok' || s.result === 'took_effect'),
      );
      if (stopped && acted) shed.push(t);
    }
  }
  const phaseIndex = new Map<string, number>();
  finals.phases.forEach((p, i) => {
    for (const t of p.targets) phaseIndex.set(t.name, i);
  });
  return shed.sort((a, b) => (phaseIndex.get(b.name) ?? 0) - (phaseIndex.get(a.name) ?? 0));
}

/** Thrown when a run may not be restored; `status` is the HTTP status the API answers with. */
export class RestoreRefused extends UpsguardError {
  constructor(readonly refusal: Refusal) {
    super(refusal.status === 404 ? ErrorCode.NotFound : ErrorCode.RunConflict, refusal.message);
  }
}

/** Starts again what finished test run `runId` shut down; refused (RestoreRefused) for any other run. */
export async function restoreAfterTest(runner: ShutdownRunner, runId: number): Promise<RestartResult> {
  const run = runner.journal.run(runId);
  const refusal = restoreRefusal(run, runId, runner.activeRuns().includes(runId));
  if (refusal || !run) throw new RestoreRefused(refusal ?? { status: 404, message: `no run ${runId}` });
  const plan = JSON.parse(run.planJson) as ResolvedPlan;
  return runner.restartTargets(runId, restorableTargets(plan, runner.journal.steps(runId)));
}
