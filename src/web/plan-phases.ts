import type { Target } from '../shutdown/drivers/driver.js';
import type { PlanEstimate, ResolvedPlan } from '../shutdown/plan.js';
import type { PlanPhaseView } from './api-types/plan.js';

/** A phase as the API shows it, with its targets in whichever view the caller gives them. */
export type PhaseViewOf<T> = Omit<PlanPhaseView, 'targets'> & { readonly targets: readonly T[] };

/**
 * The plan's phases in seconds, each marked when it is the point of no return and given its estimated duration: the
 * same for the plan page (GET /api/plan) and the editor's preview (POST /api/plan/preview), which differ only in what
 * they say of a target.
 */
export function phaseViews<T>(
  plan: ResolvedPlan,
  estimate: PlanEstimate | null,
  target: (t: Target) => T,
): PhaseViewOf<T>[] {
  const phaseS = new Map(estimate?.phases.map((p) => [p.name, p.seconds]) ?? []);
  return plan.phases.map((p) => ({
    name: p.name,
    method: p.method,
    timeoutS: p.timeoutMs / 1000,
    concurrency: p.concurrency,
    pointOfNoReturn: p.name === plan.pointOfNoReturn,
    estimateS: phaseS.get(p.name) ?? null,
    targets: p.targets.map(target),
  }));
}
