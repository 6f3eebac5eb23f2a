/**
 * A lead-acid UPS reduced to what a monitor can observe: charge drains on battery at a rate set by load and
 * capacity (Peukert-like, so halving the load more than doubles the runtime), recharges on mains, and the output
 * follows the UPS's own shutdown and startup countdowns. Pure: `step` takes elapsed model seconds.
 */
export interface BatteryModelParams {
  /** Runtime from full at `referenceLoadPct`, seconds. */
  readonly referenceRuntimeS: number;
  readonly referenceLoadPct: number;
  /** Time to recharge from empty to full on mains, seconds. */
  readonly rechargeS: number;
  readonly peukert: number;
}

export interface BatteryState {
  /** 0..1 */
  charge: number;
  mains: boolean;
  loadPct: number;
  /** 0..1 share of the battery's design capacity still usable. */
  health: number;
  outputOn: boolean;
  /** Seconds until the output turns off; null when no countdown runs. */
  shutdownTimerS: number | null;
  /** Seconds until the output turns on again (counts only while mains is present); null when none. */
  startupTimerS: number | null;
  /** Set when the shutdown countdown expired while a start delay was requested (shutdown.return). */
  restartPending: boolean;
  /** Set when the shutdown countdown expired with no start delay (shutdown.stayoff): off until switched on. */
  latchedOff: boolean;
}

export const defaultBatteryParams: BatteryModelParams = {
  referenceRuntimeS: 2580,
  referenceLoadPct: 20,
  rechargeS: 6 * 3600,
  peukert: 1.15,
};

export function initialBatteryState(overrides: Partial<BatteryState> = {}): BatteryState {
  return {
    charge: 1,
    mains: true,
    loadPct: 20,
    health: 1,
    outputOn: true,
    shutdownTimerS: null,
    startupTimerS: null,
    restartPending: false,
    latchedOff: false,
    ...overrides,
  };
}

/** Seconds from full at this load with this health. */
export function fullRuntimeS(params: BatteryModelParams, loadPct: number, health: number): number {
  const load = Math.max(loadPct, 1);
  return params.referenceRuntimeS * Math.pow(params.referenceLoadPct / load, params.peukert) * Math.max(health, 0);
}

/** Runtime left now, seconds; the UPS reports what it would last if the output stayed on. */
export function runtimeLeftS(params: BatteryModelParams, s: BatteryState): number {
  return Math.max(0, Math.floor(s.charge * fullRuntimeS(params, s.loadPct, s.health)));
}

export function isDischarging(s: BatteryState): boolean {
  return !s.mains && s.outputOn && s.loadPct > 0;
}

export function step(params: BatteryModelParams, prev: BatteryState, dtS: number): BatteryState {
  const s = { ...prev };
  if (dtS <= 0) return s;
  if (isDischarging(s)) {
    const full = fullRuntimeS(params, s.loadPct, s.health);
    s.charge = full > 0 ? Math.max(0, s.charge - dtS / full) : 0;
    // An empty battery cannot hold the output up: the UPS drops the load.
    if (s.charge === 0) s.outputOn = false;
  } else if (s.mains) {
    s.charge = Math.min(1, s.charge + dtS / params.rechargeS);
  }
  if (s.shutdownTimerS !== null) {
    s.shutdownTimerS -= dtS;
    if (s.shutdownTimerS <= 0) {
      s.shutdownTimerS = null;
      s.outputOn = false;
      s.restartPending = s.startupTimerS !== null;
      s.latchedOff = !s.restartPending;
    }
  } else if (s.restartPending && s.startupTimerS !== null && s.mains) {
    s.startupTimerS -= dtS;
    if (s.startupTimerS <= 0) {
      s.startupTimerS = null;
      s.restartPending = false;
      s.outputOn = true;
    }
  }
  // A UPS that dropped its load for an empty battery powers up again once mains returns.
  if (!s.outputOn && s.mains && s.shutdownTimerS === null && !s.restartPending && !s.latchedOff) {
    s.outputOn = true;
  }
  return s;
}
