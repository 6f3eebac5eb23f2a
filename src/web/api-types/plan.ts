import type { VerdictView } from './runs.js';

/**
 * The plan page's data: GET /api/plan. The phases as a timeline, the point of no return, the load-off and the final
 * hosts, the runtime left, each driver's last check, one merged list of targets, and the last dry run. Type-only.
 */
export type PowerStateView = 'on' | 'stopping' | 'off' | 'booting' | 'unknown';
/** Guest tools, where the driver reports them (vSphere); null when it does not. */
export type ToolsStateView = 'running' | 'not-running' | null;

export interface TargetEstimateView {
  readonly medianS: number;
  readonly p90S: number;
  /** Learned from real runs, from dry runs, or the per-kind default. */
  readonly source: 'run' | 'dry' | 'default';
  readonly samples: number;
}

export interface PlanTargetView {
  readonly name: string;
  readonly kind: 'vm' | 'host';
  readonly host: string | null;
  readonly driver: string;
  /** Power now: the simulated cluster's, else the driver's last check; null when nobody knows. */
  readonly power: PowerStateView | null;
  readonly tools: ToolsStateView;
  readonly estimate: TargetEstimateView | null;
  /** How long it took (would take) in the last dry run, in seconds; null when that run did not time it. */
  readonly lastDryRunS: number | null;
}

export interface PlanPhaseView {
  readonly name: string;
  readonly method: 'graceful' | 'hard';
  readonly timeoutS: number;
  readonly concurrency: number;
  /** This phase is the point of no return: from its start, mains coming back no longer stops the run. */
  readonly pointOfNoReturn: boolean;
  /** The phase's estimated duration (critical path under its limits), in seconds. */
  readonly estimateS: number | null;
  readonly targets: readonly PlanTargetView[];
}

export interface LoadOffView {
  readonly ups: string;
  readonly offDelayS: number;
  readonly onDelayS: number;
}

export interface PlanBodyView {
  readonly name: string;
  readonly phases: readonly PlanPhaseView[];
  /** Halted after the load-off, in this order; the appliance's own host comes last. */
  readonly finalHosts: readonly PlanTargetView[];
  readonly loadOff: LoadOffView | null;
  readonly pointOfNoReturn: string;
  readonly self: { readonly vm: string | null; readonly host: string | null; readonly upsHost: string | null };
  readonly notes: readonly string[];
}

export interface PlanEstimateView {
  readonly totalS: number;
  readonly phases: readonly { readonly name: string; readonly seconds: number }[];
}

export interface PlanProblemView {
  readonly rule: string;
  readonly targets: readonly string[];
  readonly message: string;
}

export interface UnreachableDriverView {
  readonly driver: string;
  readonly error: string;
}

export interface DecisionView {
  readonly level: 'normal' | 'warning' | 'critical';
  readonly reasons: readonly { readonly trigger: string; readonly ups: string; readonly message: string }[];
}

export interface ClusterNodeView {
  readonly name: string;
  readonly kind: 'vm' | 'host';
  readonly host: string | null;
  readonly power: string | null;
}

export interface DriverCheckResultView {
  readonly target?: string;
  readonly ok: boolean;
  readonly message: string;
}

/** One driver's last check: ok, or failed and why, with the targets it found and their power and tools state. */
export interface DriverCheckView {
  readonly driver: string;
  readonly ok: boolean;
  readonly checkedAt: string;
  readonly checks: readonly DriverCheckResultView[];
  readonly targets: readonly {
    readonly name: string;
    readonly kind: 'vm' | 'host';
    readonly host: string | null;
    readonly power: PowerStateView;
    readonly tools: ToolsStateView;
  }[];
}

/**
 * One list of targets, keyed by (driver, name): what the plan uses and what the drivers found, merged, so the page
 * never shows two lists that disagree.
 */
export interface MergedTargetView {
  readonly driver: string;
  readonly name: string;
  readonly kind: 'vm' | 'host';
  readonly host: string | null;
  readonly power: PowerStateView | null;
  readonly tools: ToolsStateView;
  /** The plan shuts it down (in a phase or as a final host). */
  readonly inPlan: boolean;
  /** The phase it goes down in, '(final)' for a final host, null when the plan does not use it. */
  readonly phase: string | null;
  /** The driver's last check found it. */
  readonly discovered: boolean;
}

export interface LastDryRunTargetView {
  readonly name: string;
  readonly driver: string;
  readonly phase: string;
  /** What the dry run measured or the driver expects, in seconds; null when unknown. */
  readonly durationS: number | null;
  readonly outcome: string | null;
}

export interface LastDryRunView {
  readonly id: number;
  readonly at: string;
  readonly status: 'running' | 'completed' | 'aborted' | 'failed';
  readonly verdict: VerdictView | null;
  readonly targets: readonly LastDryRunTargetView[];
}

export interface JobView {
  readonly name: string;
  readonly schedule: string;
  readonly lastRunAt: string | null;
  readonly lastError: string | null;
}

/** GET /api/plan */
export interface PlanPageView {
  readonly plan: PlanBodyView | null;
  readonly estimate: PlanEstimateView | null;
  /** Battery runtime left on the load-off UPS (else the first), in seconds; null when unknown. */
  readonly runtimeLeftS: number | null;
  readonly problems: readonly PlanProblemView[];
  readonly unreachable: readonly UnreachableDriverView[];
  readonly decision: DecisionView | null;
  readonly cluster: readonly ClusterNodeView[];
  readonly targets: readonly MergedTargetView[];
  readonly lastDryRun: LastDryRunView | null;
  readonly jobs: readonly JobView[];
  readonly drivers: readonly DriverCheckView[];
}
