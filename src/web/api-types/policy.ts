import type { DecisionResponse } from './decision.js';

/** GET /api/policy, POST /api/policy/preview, PUT /api/policy, and what the plan editor shares with them. */

/** Only these config sections can be changed without a restart; drivers and everything else need one. */
export type EditableSection = 'policy' | 'shutdown.plan';

/** Where the config lives and whether the page may change it. */
export interface ConfigFileView {
  /** An admin may save: a config file (or the demo's memory) is there to write to. */
  readonly editable: boolean;
  /** The YAML file the service was started with; null for the demo. */
  readonly file: string | null;
  readonly demo: boolean;
  readonly editableSections: readonly EditableSection[];
  /** E.g. "only policy and shutdown.plan apply without a restart; everything else needs one". */
  readonly note: string;
}

/** One problem with a candidate section: `path` is the full config path, e.g. `policy.charge_pct`. */
export interface FieldProblem {
  readonly path: string;
  readonly message: string;
}

/** A 400 or 409 from a save: every problem at once. */
export interface ConfigProblemsResponse {
  readonly error: string;
  readonly message: string;
  readonly problems: readonly FieldProblem[];
}

export type PolicyRuleId =
  'fsd' | 'ob_lb' | 'dead_time' | 'flicker' | 'charge' | 'runtime' | 'on_battery' | 'runtime_vs_plan' | 'min_supplies';

/** A rule's current value on one UPS, next to its setting. */
export interface PolicyRuleUpsView {
  readonly ups: string;
  /** The value the rule compares (charge %, runtime s, seconds on battery, …); null when unknown. */
  readonly value: number | null;
  /** The value in words, e.g. "64 %", "9 min 20 s", "on mains", "FSD not set". */
  readonly valueText: string;
  /** The rule fires on this UPS now. */
  readonly tripped: boolean;
}

export interface PolicyRuleView {
  readonly id: PolicyRuleId;
  readonly label: string;
  /** The rule is on (unset thresholds and a runtime_factor of 0 are off; upsmon's rules are always on). */
  readonly enabled: boolean;
  /** The setting in words, e.g. "at or below 30 %", "off". */
  readonly settingText: string;
  /** The settings as numbers, by their YAML key (charge_pct, runtime_factor, …); null when unset. */
  readonly settings: Readonly<Record<string, number | null>>;
  /** For the runtime-aware rule: the plan's estimate and the runtime it needs, in seconds. */
  readonly planEstimateS?: number | null;
  readonly needS?: number | null;
  readonly perUps: readonly PolicyRuleUpsView[];
  /** Tripped on some UPS now. */
  readonly tripped: boolean;
  readonly description: string;
}

export interface PolicyHostView {
  readonly name: string;
  readonly feeds: readonly { readonly ups: string; readonly power: number; readonly critical: boolean }[];
  readonly minSupplies: number;
  /** Supplies fed now by UPSes that are not critical. */
  readonly fed: number;
  readonly starved: boolean;
  /** Not configured: the implicit host fed by every UPS. */
  readonly implicit: boolean;
}

export interface PolicyResponse extends ConfigFileView {
  readonly rules: readonly PolicyRuleView[];
  readonly hosts: readonly PolicyHostView[];
  /** The `policy:` section as written (snake_case, as in YAML), for the editor; {} when the file has none. */
  readonly policy: Readonly<Record<string, unknown>>;
  /** The section with every default filled in. */
  readonly effective: Readonly<Record<string, unknown>>;
  readonly decision: DecisionResponse;
}

/** A changed setting: `path` as in YAML, e.g. `policy.charge_pct`; `from`/`to` undefined when unset. */
export interface SectionDifference {
  readonly path: string;
  readonly from: unknown;
  readonly to: unknown;
}

/** POST /api/policy/preview: 200 either way; nothing is saved. */
export interface PolicyPreviewResponse {
  readonly valid: boolean;
  readonly problems: readonly FieldProblem[];
  /** The decision that policy would give now; null when invalid. */
  readonly decision: DecisionResponse | null;
  /** The candidate would trip the shutdown now (critical), though the current one does not. */
  readonly wouldTrip: boolean;
  /** The reasons of that decision, as the event log would word them. */
  readonly reasons: readonly string[];
  readonly differences: readonly SectionDifference[];
}

/** PUT /api/policy and PUT /api/plan/config, when valid. */
export interface SectionSaveResponse {
  /** Written to the config file. */
  readonly saved: boolean;
  /** In force now. */
  readonly applied: boolean;
  readonly file: string | null;
  /** E.g. "demo: not written to a file". */
  readonly note?: string;
  readonly differences: readonly SectionDifference[];
}
