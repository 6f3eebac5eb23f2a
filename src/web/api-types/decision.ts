/** GET /api/decision and the SSE `decision` message: what the policy will do, in one sentence, and when. */
export type DecisionLevel = 'normal' | 'warning' | 'critical';

export interface DecisionResponse {
  readonly level: DecisionLevel;
  /** E.g. "On battery 2 min 10 s. Plan homelab starts in 3 min 40 s (runtime-aware rule: …)". */
  readonly sentence: string;
  /** When the plan is forecast to start (ISO); null when nothing is forecast to start, or no time can be given. */
  readonly startsAt: string | null;
  /** Seconds from `asOf` to `startsAt`; the page counts down from `startsAt` itself. */
  readonly startsInS: number | null;
  /** The rule that will fire first (a policy trigger name: runtime_vs_plan, charge, on_battery_time, …), or null. */
  readonly rule: string | null;
  /** The UPS that rule fires on; null when none. */
  readonly ups: string | null;
  /** Seconds the longest outage has lasted; null when every UPS is on mains. */
  readonly onBatteryS: number | null;
  /** A real shutdown run is going now. */
  readonly running: boolean;
  /** The outage already tripped the trigger (latched until mains has been back for shutdown.rearm_after_s). */
  readonly latched: boolean;
  readonly asOf: string;
}
