import type { DriverReport } from '../shutdown/driver-report.js';
import type { RunMode, RunRow, StepRow } from '../shutdown/journal.js';
import type { Decision } from '../shutdown/policy.js';
import type { RestartResult } from '../shutdown/runner.js';
import type { PlanView } from '../shutdown/service.js';
import type { RestoreApiView } from './api-types/restore.js';
import type { WebRouteOptions } from './deps.js';

/** One node of the simulated cluster and its power now (null when it cannot be read). */
export interface ClusterNodeState {
  readonly name: string;
  readonly kind: 'vm' | 'host';
  readonly host: string | null;
  readonly power: string | null;
}

/**
 * All the web layer asks of the shutdown side: the plan and the decision, the drivers' last check, the run journal
 * read by id or newest first, the simulated cluster's power states, and starting, aborting and restoring after a run.
 * Nothing here hands out the runner, the journal or the cluster themselves.
 */
export interface ShutdownFacade {
  plan(): PlanView;
  decision(): Decision | null;
  driverReports(): readonly DriverReport[];
  /** Starts a run now; refused with a PlanError (no plan) or a RUN_CONFLICT UpsguardError. */
  startRun(
    mode: RunMode,
    reason: string,
    subset?: readonly string[] | null,
  ): Promise<{ runId: number; done: Promise<RunRow> }>;
  /** Ids of the runs in progress. */
  activeRuns(): readonly number[];
  /** The newest runs first. */
  runs(limit: number): readonly RunRow[];
  run(id: number): RunRow | undefined;
  steps(runId: number): readonly StepRow[];
  /** Empty without a simulated cluster. */
  clusterStates(): readonly ClusterNodeState[];
  /**
   * Asks a run in progress to stop; `done` resolves when it has closed. Who may abort which run is the route's check;
   * this throws (RUN_CONFLICT) for a run not in progress or past the point of no return.
   */
  abortRun(id: number, by: string): { done: Promise<RunRow> };
  /** Starts again what a finished subset test shut down; refused (RestoreRefused) for any other run. */
  restoreRun(id: number): Promise<RestartResult>;
  /** Whether the outage latch is set (an outage started a run; it clears once mains has returned and held). */
  outageLatched(): boolean;
  /** The latest restore after an outage, as GET /api/restore answers; absent where there is no restore side. */
  restore?(): RestoreApiView;
}

/** What the shutdown route plugins are registered with: the façade, already resolved. */
export interface ShutdownRouteOptions extends WebRouteOptions {
  readonly shutdown: ShutdownFacade;
}
