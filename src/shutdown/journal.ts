/**
 * The run journal, as the shutdown domain needs it: run modes, steps and their results, each target's outcome, the
 * learned durations and the outage latch. The store implements it (store/shutdown-runs.ts); the runner and the service
 * know only this port. Every step is written before it is acted on (`beginStep`) and after (`finishStep`).
 */
import type { PlatformState, PowerState, TargetKind } from './drivers/driver.js';

export type RunMode = 'dry' | 'real';
export type RunStatus = 'running' | 'completed' | 'aborted' | 'failed';
export type StepAction =
  | 'read'
  | 'graceful'
  | 'wait'
  | 'hard_off'
  | 'load_off'
  | 'power_on'
  | 'check'
  | 'fsd'
  /** A restore puts back platform state (maintenance mode, HA resource state). */
  | 'platform';
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

/** A target's state when a real run began, before it acted: what the restore brings back. */
export interface TargetBefore {
  readonly runId: number;
  readonly target: string;
  readonly driver: string;
  readonly kind: TargetKind;
  readonly host: string | null;
  /** The plan phase it is in; `(final)` for the final hosts. */
  readonly phase: string;
  readonly power: PowerState;
  /** What the driver's platformState() said, or null where the driver has none (or it failed). */
  readonly platform: PlatformState | null;
  readonly at: number;
}

/** Where the restore after an outage run stands; `interrupted`: mains failed again, or the appliance stopped. */
export type RestoreStatus = 'running' | 'interrupted' | 'restored' | 'incomplete';

export interface RestoreRow {
  /** The outage run it restores from; its steps are journaled on that run. */
  readonly runId: number;
  readonly status: RestoreStatus;
  /** When mains came back (the start of the steady time that let the restore begin). */
  readonly mainsBackAt: number | null;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly summary: string | null;
}

/** The restore's part of the journal: what was running before a run, and each restore's state. */
export interface RestoreJournal {
  /** Written once per run, in one transaction: a second call for the same run keeps the first rows. */
  recordBefore(rows: readonly TargetBefore[]): void;
  before(runId: number): TargetBefore[];
  restore(runId: number): RestoreRow | undefined;
  /** Inserts or replaces the restore's row. */
  saveRestore(row: RestoreRow): void;
}

export interface ShutdownJournal extends OutageLatch, RestoreJournal {
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
