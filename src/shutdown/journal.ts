/**
 * The run journal, as the shutdown domain needs it: run modes, steps and their results, each target's outcome, the
 * learned durations and the outage latch. The store implements it (store/shutdown-runs.ts); the runner and the service
 * know only this port. Every step is written before it is acted on (`beginStep`) and after (`finishStep`).
 */
export type RunMode = 'dry' | 'real';
export type RunStatus = 'running' | 'completed' | 'aborted' | 'failed';
export type StepAction = 'read' | 'graceful' | 'wait' | 'hard_off' | 'load_off' | 'power_on' | 'check' | 'fsd';
export type StepResult = 'ok' | 'failed' | 'timeout' | 'skipped' | 'dry' | 'interrupted' | 'took_effect';
/** Where one target ended up in a run: its own field of the journal, never parsed back from a detail text. */
export type TargetOutcome = 'off' | 'already_off' | 'hard_off' | 'failed' | 'dry' | 'stopped';

export const TARGET_OUTCOMES: readonly TargetOutcome[] = ['off', 'already_off', 'hard_off', 'failed', 'dry', 'stopped'];

export interface RunRow {
  readonly id: number;
  readonly plan: string;
  readonly mode: RunMode;
  readonly reason: string;
  readonly status: RunStatus;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly estimateS: number | null;
  readonly runtimeLeftS: number | null;
  readonly subset: readonly string[] | null;
  readonly planJson: string;
  readonly passedPonr: boolean;
  readonly summary: string | null;
}

export interface StepRow {
  readonly id: number;
  readonly runId: number;
  readonly phase: string;
  readonly target: string;
  readonly driver: string;
  readonly action: StepAction;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly result: StepResult | null;
  readonly error: string | null;
  readonly detail: string | null;
  /** Set on the row that closes a target (action `wait`): where it ended up. */
  readonly outcome: TargetOutcome | null;
}

export interface NewRun {
  readonly plan: string;
  readonly mode: RunMode;
  readonly reason: string;
  readonly startedAt: number;
  readonly estimateS: number | null;
  readonly runtimeLeftS: number | null;
  readonly subset: readonly string[] | null;
  readonly planJson: string;
}

export interface NewStep {
  readonly runId: number;
  readonly phase: string;
  readonly target: string;
  readonly driver: string;
  readonly action: StepAction;
  readonly at: number;
  readonly detail?: string;
}

export interface TargetOutcomeRow {
  readonly runId: number;
  readonly phase: string;
  readonly target: string;
  readonly driver: string;
  readonly at: number;
  readonly result: StepResult;
  readonly outcome: TargetOutcome;
  readonly error: string | null;
  readonly detail?: string;
}

/** The outage latch: set when an outage starts the real run, cleared once mains has returned and held. */
export interface OutageLatch {
  latch(): { trippedAt: number; reason: string } | null;
  setLatch(at: number, reason: string): void;
  clearLatch(): void;
}

export interface ShutdownJournal extends OutageLatch {
  createRun(r: NewRun): number;
  finishRun(id: number, status: RunStatus, at: number, summary: string): void;
  markPonr(id: number): void;
  beginStep(s: NewStep): number;
  finishStep(id: number, at: number, result: StepResult, error?: string | null, detail?: string): void;
  /** Closes a target: one finished row carrying its outcome. */
  recordOutcome(o: TargetOutcomeRow): number;
  run(id: number): RunRow | undefined;
  runs(limit: number): RunRow[];
  unfinished(mode: RunMode): RunRow[];
  steps(runId: number): StepRow[];
  /** Learned durations: appended, and trimmed to the newest `keep` per target and source. */
  addDuration(target: string, source: 'run' | 'dry', ms: number, at: number, keep: number): void;
  durations(): Map<string, { run: number[]; dry: number[] }>;
}
