import type { Target } from './drivers/driver.js';

/**
 * How long each target takes to stop, learned from past real runs (preferred) and dry runs, with per-kind defaults
 * until there is history; and the critical path of a phase under its concurrency limits.
 */
export interface TargetEstimate {
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly source: 'run' | 'dry' | 'default';
  readonly samples: number;
}

/** Nearest-rank percentile of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? 0;
}

export class Estimates {
  constructor(
    private readonly samples: ReadonlyMap<string, { run: readonly number[]; dry: readonly number[] }>,
    private readonly defaultsMs: { vm: number; host: number },
  ) {}

  of(target: Pick<Target, 'name' | 'kind'>): TargetEstimate {
    const s = this.samples.get(target.name);
    for (const source of ['run', 'dry'] as const) {
      const list = s?.[source] ?? [];
      if (list.length > 0) {
        return { medianMs: percentile(list, 50), p90Ms: percentile(list, 90), source, samples: list.length };
      }
    }
    const d = this.defaultsMs[target.kind];
    return { medianMs: d, p90Ms: d, source: 'default', samples: 0 };
  }
}

export interface ScheduledJob {
  readonly durationMs: number;
  readonly driver: string;
}

/**
 * The time to run jobs in the given order, each as soon as a phase slot and a slot of its driver are free: what a
 * runner with no overhead would take. `driverLimits` are per driver; a missing one means no limit beyond the phase's.
 */
export function makespanMs(
  jobs: readonly ScheduledJob[],
  concurrency: number,
  driverLimits: Readonly<Record<string, number>>,
): number {
  const running: { end: number; driver: string }[] = [];
  let now = 0;
  let makespan = 0;
  const pending = [...jobs];
  while (pending.length > 0) {
    const perDriver = new Map<string, number>();
    for (const r of running) perDriver.set(r.driver, (perDriver.get(r.driver) ?? 0) + 1);
    const idx =
      running.length < concurrency
        ? pending.findIndex((j) => (perDriver.get(j.driver) ?? 0) < (driverLimits[j.driver] ?? Infinity))
        : -1;
    if (idx >= 0) {
      const [job] = pending.splice(idx, 1);
      if (!job) break;
      const end = now + job.durationMs;
      running.push({ end, driver: job.driver });
      makespan = Math.max(makespan, end);
      continue;
    }
    // Nothing can start: move to the next finish.
    running.sort((a, b) => a.end - b.end);
    const first = running.shift();
    if (!first) break;
    now = first.end;
  }
  return makespan;
}
