/**
 * The restore after an outage, as GET /api/restore answers it and the `restore` stream event carries it. Type-only.
 * The page draws the restore's timeline from `tiers` (what each target is doing) and `steps` (the journal rows, the
 * same shape as a shutdown run's steps).
 */
import type { StepView } from './runs.js';

/**
 * `none`: no outage run to restore from. `waiting`: an outage run completed; the return conditions do not hold yet.
 * `running`: bringing things back. `interrupted`: mains failed again (or a run started); it begins again when the
 * conditions hold. `restored`: everything back as before the outage. `incomplete`: finished, some did not come back.
 * `disabled`: `restore.enabled` is false.
 */
export type RestoreStateView = 'none' | 'waiting' | 'running' | 'interrupted' | 'restored' | 'incomplete' | 'disabled';

export interface BatteryBarView {
  /** The bar: charge OR runtime (either is enough); null where the config leaves it out. */
  readonly chargePct: number | null;
  readonly runtimeS: number | null;
  readonly met: boolean;
  /** "charge 34 % ≥ 20 %", or what is short. */
  readonly why: string;
}

/** The return conditions now. */
export interface RestoreConditionsView {
  readonly ups: string;
  readonly mainsOnline: boolean;
  /** How long mains has been present without a drop; null while absent. */
  readonly mainsSteadyForS: number | null;
  readonly mainsSteadyNeededS: number;
  readonly chargePct: number | null;
  readonly runtimeS: number | null;
  /** The hosts and the last phase to go down. */
  readonly firstTier: BatteryBarView;
  /** Every earlier phase. */
  readonly otherTiers: BatteryBarView;
  /** Mains steady and the first tier's bar met. */
  readonly ready: boolean;
}

/**
 * One target of the restore. `pending`: not reached yet. `starting`: powered on (or a host coming up), not on yet.
 * `done`: on. `already_on`: the platform's autostart started it; counted done, not started again. `failed`: did not
 * come back (`error` says why). `left_off`: off before the outage (or its state was not read), so it stays off.
 */
export type RestoreTargetStateView = 'pending' | 'starting' | 'done' | 'already_on' | 'failed' | 'left_off';

export interface RestoreTargetView {
  readonly name: string;
  readonly driver: string;
  readonly kind: 'vm' | 'host';
  readonly host: string | null;
  readonly state: RestoreTargetStateView;
  /** Power before the outage, as recorded when the run began. */
  readonly before: 'on' | 'stopping' | 'off' | 'booting' | 'unknown' | null;
  readonly error: string | null;
  /** When it read as on (or the platform answered, for a host); null until then. */
  readonly backAt: string | null;
}

export interface RestoreTierView {
  /** `hosts`, then the plan's phases, the last one first; `left off` lists what stays off. */
  readonly name: string;
  /** Which battery bar gates it; null for the list of what stays off. */
  readonly bar: 'first' | 'other' | null;
  readonly targets: readonly RestoreTargetView[];
}

/** GET /api/restore, and the `restore` stream event. */
export interface RestoreApiView {
  readonly state: RestoreStateView;
  /** The outage run restored from; null with state `none` or `disabled`. */
  readonly runId: number | null;
  readonly mainsBackAt: string | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  /** From mains back to full service, once restored. */
  readonly durationS: number | null;
  readonly summary: string | null;
  /** What the restore waits for now (mains not steady, a tier's battery bar); null when it does not wait. */
  readonly waitingFor: string | null;
  /** Now, against the UPS of the outage run's load-off; null without a run to restore from. */
  readonly conditions: RestoreConditionsView | null;
  readonly tiers: readonly RestoreTierView[];
  /** The restore's journal rows (phases `(restore) …`) on the outage run, in order. */
  readonly steps: readonly StepView[];
  /** One line for `upsguard status`: "as before the outage", "N not back: …", "waiting: …". */
  readonly asBefore: string;
}
