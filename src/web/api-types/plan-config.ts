import type { ConfigFileView, FieldProblem, SectionDifference } from './policy.js';

/** GET /api/plan/config, POST /api/plan/preview, PUT /api/plan/config. */

/** A target the pickers can offer, from the last discovery and the drivers' last check. */
export interface KnownTargetView {
  readonly name: string;
  readonly kind: 'vm' | 'host';
  readonly driver: string;
  readonly host: string | null;
}

export interface PlanConfigResponse extends ConfigFileView {
  /** The `shutdown.plan` section as written (snake_case, as in YAML); null when there is no plan. */
  readonly plan: Readonly<Record<string, unknown>> | null;
  /** Driver names a selector may use (sim and nut-secondaries included where available). */
  readonly drivers: readonly string[];
  readonly targets: readonly KnownTargetView[];
  /** UPS names, for load_off_ups. */
  readonly ups: readonly string[];
  /** The plan keys the page may edit. */
  readonly editableKeys: readonly string[];
}

export interface PlanPreviewTarget {
  readonly name: string;
  readonly kind: 'vm' | 'host';
  readonly driver: string;
  readonly host: string | null;
  /** Estimated shutdown duration, median and p90 seconds; null when unknown. */
  readonly medianS: number | null;
  readonly p90S: number | null;
}

export interface PlanPreviewPhase {
  readonly name: string;
  readonly method: 'graceful' | 'hard';
  readonly timeoutS: number;
  readonly concurrency: number;
  readonly pointOfNoReturn: boolean;
  readonly targets: readonly PlanPreviewTarget[];
  /** The phase's estimated duration in seconds. */
  readonly estimateS: number | null;
}

export interface PlanPreview {
  readonly name: string;
  readonly phases: readonly PlanPreviewPhase[];
  readonly finalHosts: readonly PlanPreviewTarget[];
  readonly loadOff: { readonly ups: string; readonly offDelayS: number; readonly onDelayS: number } | null;
  readonly pointOfNoReturn: string;
  readonly totalS: number | null;
  readonly notes: readonly string[];
}

/** POST /api/plan/preview: 200 either way; the running plan is not touched. */
export interface PlanPreviewResponse {
  readonly valid: boolean;
  /** Schema problems (including the plan's ordering rules), by config path. */
  readonly problems: readonly FieldProblem[];
  /** Problems found when resolving against the discovered targets. */
  readonly planProblems: readonly {
    readonly rule: string;
    readonly message: string;
    readonly targets: readonly string[];
  }[];
  readonly unreachable: readonly { readonly driver: string; readonly error: string }[];
  readonly plan: PlanPreview | null;
  /** The plan estimate against the load-off UPS's runtime now. */
  readonly runtimeLeftS: number | null;
  readonly differences: readonly SectionDifference[];
}
