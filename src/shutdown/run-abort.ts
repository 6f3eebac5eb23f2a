import type { RunRow } from './journal.js';

/**
 * Which runs a person may stop, and how an abort reads in the journal. Pure. A dry run and a real test of a subset
 * are tests: an operator may abort them. A real run of the whole plan (the outage's, or a whole-plan test that ends in
 * the load-off) is stopped only by an admin, and never once it has passed the point of no return.
 */
export type RunKind = 'dry' | 'test' | 'outage';

export function runKind(run: Pick<RunRow, 'mode' | 'subset'>): RunKind {
  if (run.mode === 'dry') return 'dry';
  return run.subset !== null && run.subset.length > 0 ? 'test' : 'outage';
}

export interface Refusal {
  /** 403: not this role's to do; 404: no such run; 409: not in a state that allows it. */
  readonly status: 403 | 404 | 409;
  readonly message: string;
}

/** Why this caller may not abort this run now, or null when it may. */
export function abortRefusal(
  run: RunRow | undefined,
  id: number,
  active: boolean,
  role: 'viewer' | 'operator' | 'admin',
): Refusal | null {
  if (!run) return { status: 404, message: `no run ${id}` };
  if (!active || run.status !== 'running') {
    return { status: 409, message: `run ${id} has already finished (${run.status}): there is nothing to abort` };
  }
  const kind = runKind(run);
  if (kind === 'outage' && role !== 'admin') {
    return {
      status: 403,
      message: `run ${id} is a real run of the whole plan: only an admin may abort it (you are ${role})`,
    };
  }
  if (kind === 'test' || kind === 'dry') {
    if (role === 'viewer') return { status: 403, message: `aborting a test run needs an operator (you are ${role})` };
  }
  if (run.passedPonr) {
    return {
      status: 409,
      message: `run ${id} has passed the point of no return: it completes (hosts halt, the UPS cuts its output); it cannot be aborted`,
    };
  }
  return null;
}

/** The run's summary when a person aborted it; `abortedBy` reads it back for the page. */
export function abortSummary(by: string, shed: number, total: number): string {
  return `aborted by ${by} (${shed} of ${total} targets shut down)`;
}

const ABORTED = /^aborted by (.+) \(\d+ of \d+ targets shut down\)$/;

/** Who aborted a run, from the summary `abortSummary` wrote; null for any other summary. */
export function abortedBy(summary: string | null): string | null {
  return summary === null ? null : (ABORTED.exec(summary)?.[1] ?? null);
}
