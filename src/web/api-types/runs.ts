/**
 * The run journal as the API and the live stream show it: GET /api/runs, GET /api/runs/:id, the dry-run verdict,
 * the test, abort and restore answers, and the SSE `run` and `step` messages. Type-only: the page imports these.
 */
export type RunModeView = 'dry' | 'real';
export type RunStatusView = 'running' | 'completed' | 'aborted' | 'failed';
/** What started a run: a dry run, a real test of a subset from the page, or the real outage run (whole plan). */
export type RunKindView = 'dry' | 'test' | 'outage';

/** A target the dry run could not reach, with the driver and why. */
export interface UnreachableTargetView {
  readonly name: string;
  readonly driver: string;
  readonly reason: string;
}

/** A driver whose own check failed in the dry run (credentials, endpoint). */
export interface FailedDriverView {
  readonly driver: string;
  readonly reason: string;
}

/**
 * The dry run's verdict in one line: "would take 74 s of 31 min runtime; all 9 targets reachable". `ok` is false when
 * a target or driver was unreachable or the plan does not fit in the runtime left.
 */
export interface VerdictView {
  readonly verdict: string;
  readonly ok: boolean;
  /** The plan's estimated duration, in seconds. */
  readonly totalS: number;
  /** Battery runtime when the run started; null when unknown. */
  readonly runtimeLeftS: number | null;
  /** How many targets the run covered. */
  readonly targets: number;
  readonly unreachable: readonly UnreachableTargetView[];
  readonly failedDrivers: readonly FailedDriverView[];
}

export interface RunView {
  readonly id: number;
  readonly plan: string;
  readonly mode: RunModeView;
  readonly kind: RunKindView;
  readonly reason: string;
  readonly status: RunStatusView;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly estimateS: number | null;
  readonly runtimeLeftS: number | null;
  readonly subset: readonly string[] | null;
  readonly passedPointOfNoReturn: boolean;
  readonly summary: string | null;
  /** The phase of the newest step: where the run is now (or ended); null before its first step. */
  readonly phase: string | null;
  /** Who aborted it, for an aborted run closed by a person; null otherwise. */
  readonly abortedBy: string | null;
  /** For a finished dry run: its verdict; null otherwise. */
  readonly verdict: VerdictView | null;
}

export type StepActionView =
  'read' | 'graceful' | 'wait' | 'hard_off' | 'load_off' | 'power_on' | 'check' | 'fsd' | 'platform';
export type StepResultView = 'ok' | 'failed' | 'timeout' | 'skipped' | 'dry' | 'interrupted' | 'took_effect';
export type TargetOutcomeView = 'off' | 'already_off' | 'hard_off' | 'failed' | 'dry' | 'stopped';

export interface StepView {
  readonly id: number;
  /** The run it belongs to (the live stream mixes runs). */
  readonly runId: number;
  readonly phase: string;
  readonly target: string;
  readonly driver: string;
  readonly action: StepActionView;
  readonly startedAt: string;
  readonly finishedAt: string | null;
  readonly durationMs: number | null;
  readonly result: StepResultView | null;
  readonly error: string | null;
  readonly detail: string | null;
  readonly outcome: TargetOutcomeView | null;
}

/** GET /api/runs */
export interface RunsListView {
  readonly runs: readonly RunView[];
  readonly active: readonly number[];
}

/** GET /api/runs/:id */
export interface RunDetailView {
  readonly run: RunView;
  readonly steps: readonly StepView[];
}

/** POST /api/plan/dry-run (200): the finished dry run, its steps and its verdict. */
export interface DryRunResultView extends RunDetailView {
  readonly verdict: VerdictView;
}

/** POST /api/shutdown/test (202): the run started; progress comes on the stream and GET /api/runs/:id. */
export interface TestStartedView {
  readonly runId: number;
}

/** POST /api/runs/:id/abort (202): the run stops starting steps; steps in flight finish their current call. */
export interface AbortView {
  readonly runId: number;
  readonly status: 'aborting';
  readonly message: string;
  /** For a real outage run: the outage latch stays set, so this outage does not start a second run by itself. */
  readonly latchKept: boolean;
}

export interface RestoreFailureView {
  readonly name: string;
  readonly driver: string;
  readonly error: string;
}

/** POST /api/runs/:id/restore (200): what that test shut down, started again in reverse phase order. */
export interface RestoreView {
  readonly runId: number;
  readonly restored: readonly string[];
  readonly failed: readonly RestoreFailureView[];
}
