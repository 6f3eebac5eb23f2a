import type { RunRow, StepRow, TargetOutcome } from './journal.js';
import type { ResolvedPlan } from './plan.js';

/**
 * The dry run's verdict in one line, computed here so the page, the CLI and the API say the same thing: "would take
 * 74 s of 31 min runtime; all 9 targets reachable". Pure.
 */
export interface UnreachableTarget {
  readonly name: string;
  readonly driver: string;
  readonly reason: string;
}

export interface FailedDriver {
  readonly driver: string;
  readonly reason: string;
}

export interface VerdictInput {
  /** The plan's estimated duration; null when there is no estimate. */
  readonly totalS: number | null;
  readonly runtimeLeftS: number | null;
  readonly targets: number;
  readonly unreachable: readonly UnreachableTarget[];
  /** Drivers whose own check failed, when none of their targets is named unreachable already. */
  readonly failedDrivers: readonly FailedDriver[];
}

export interface Verdict {
  readonly verdict: string;
  readonly ok: boolean;
  readonly totalS: number;
  readonly runtimeLeftS: number | null;
  readonly targets: number;
  readonly unreachable: readonly UnreachableTarget[];
  readonly failedDrivers: readonly FailedDriver[];
}

/** "74 s" under two minutes, else "31 min" or "2 min 30 s". */
export function formatSeconds(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 120) return `${s} s`;
  const min = Math.floor(s / 60);
  const rest = s % 60;
  return rest === 0 ? `${min} min` : `${min} min ${rest} s`;
}

function targetsPart(total: number, unreachable: readonly UnreachableTarget[]): string {
  if (total === 0) return 'no targets';
  if (unreachable.length === 0) return total === 1 ? 'the one target reachable' : `all ${total} targets reachable`;
  const named = unreachable.map((u) => `${u.name} (${u.driver}: ${u.reason})`).join(', ');
  return `${unreachable.length} of ${total} target${total === 1 ? '' : 's'} unreachable: ${named}`;
}

export function verdictOf(i: VerdictInput): Verdict {
  const parts: string[] = [];
  const totalS = i.totalS ?? 0;
  const fits = i.runtimeLeftS === null || i.totalS === null || i.totalS < i.runtimeLeftS;
  const duration = i.totalS === null ? 'duration unknown' : `would take ${formatSeconds(i.totalS)}`;
  if (i.runtimeLeftS === null) parts.push(duration);
  else {
    parts.push(
      `${duration} of ${formatSeconds(i.runtimeLeftS)} runtime${fits ? '' : ': longer than the runtime left'}`,
    );
  }
  parts.push(targetsPart(i.targets, i.unreachable));
  for (const d of i.failedDrivers) parts.push(`driver ${d.driver} failed its check: ${d.reason}`);
  if (i.runtimeLeftS === null) parts.push('runtime unknown');
  return {
    verdict: parts.join('; '),
    ok: fits && i.totalS !== null && i.unreachable.length === 0 && i.failedDrivers.length === 0,
    totalS,
    runtimeLeftS: i.runtimeLeftS,
    targets: i.targets,
    unreachable: i.unreachable,
    failedDrivers: i.failedDrivers,
  };
}

export interface DryRunTarget {
  readonly name: string;
  readonly driver: string;
  readonly phase: string;
  /** What the driver expects the stop to take (a dry run), or what it took (a real run); null when unknown. */
  readonly durationS: number | null;
  readonly outcome: TargetOutcome | null;
  /** The error that closed the target, or of its first failed step. */
  readonly error: string | null;
}

// The dry step's detail as run-target.ts writes it; the duration itself is learned too, but not per run.
const WOULD_TAKE = /^would take ([\d.]+) s$/;

/** Each target of a run's plan, in plan order, with how long it took (or would take) and how it ended. */
export function runTargets(plan: ResolvedPlan, steps: readonly StepRow[]): DryRunTarget[] {
  const phases = [...plan.phases, { name: '(final)', targets: plan.finalHosts }];
  return phases.flatMap((p) =>
    p.targets.map((t) => {
      const rows = steps.filter((s) => s.target === t.name && s.phase === p.name);
      const closing = rows.findLast((s) => s.outcome !== null);
      const would = rows.map((s) => WOULD_TAKE.exec(s.detail ?? '')?.[1]).find((x) => x !== undefined);
      const first = rows[0];
      const measured =
        closing && first && closing.outcome !== 'dry' && closing.outcome !== 'failed'
          ? (closing.startedAt - first.startedAt) / 1000
          : null;
      const failed = rows.find((s) => s.result === 'failed' || s.result === 'timeout');
      return {
        name: t.name,
        driver: t.driver,
        phase: p.name,
        // A target the run could not reach has no duration of its own, whatever the driver expected.
        durationS: closing?.outcome === 'failed' ? null : would !== undefined ? Number(would) : measured,
        outcome: closing?.outcome ?? null,
        error: closing?.error ?? failed?.error ?? null,
      };
    }),
  );
}

/** The plan a run was started with, as its journal row keeps it; null when the row holds none readable. */
export function planOfRun(run: Pick<RunRow, 'planJson'>): ResolvedPlan | null {
  try {
    const plan = JSON.parse(run.planJson) as ResolvedPlan | null;
    return plan && Array.isArray(plan.phases) && Array.isArray(plan.finalHosts) ? plan : null;
  } catch {
    return null;
  }
}

/** The verdict of a finished dry run, from its journal rows. */
export function dryRunVerdict(run: RunRow, steps: readonly StepRow[]): Verdict {
  const plan = planOfRun(run);
  const targets = plan ? runTargets(plan, steps) : [];
  const unreachable = targets
    .filter((t) => t.outcome === 'failed' || (t.outcome === null && t.error !== null))
    .map((t) => ({ name: t.name, driver: t.driver, reason: t.error ?? 'failed' }));
  const named = new Set(unreachable.map((u) => u.driver));
  const failedDrivers = steps
    .filter((s) => s.action === 'check' && s.result === 'failed' && !named.has(s.target))
    .map((s) => ({ driver: s.target, reason: s.error ?? 'failed' }));
  return verdictOf({
    totalS: run.estimateS,
    runtimeLeftS: run.runtimeLeftS,
    targets: targets.length,
    unreachable,
    failedDrivers,
  });
}
