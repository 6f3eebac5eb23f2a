import type { PolicyConfig } from '../config/shutdown-schema.js';
import type { CommsState, UpsSnapshot } from '../ups/events.js';

/**
 * Pure: from snapshots over time, the config and the time now, decide normal, warning or critical, and why. It follows
 * upsmon (reference §4.2) for FSD, OB+LB, calibration and the dead time, adds the user's own thresholds (which only
 * count once an outage has outlasted a flicker), a runtime-aware rule against the plan's estimate, and NUT's
 * power values with MINSUPPLIES for hosts fed by several UPSes.
 */
export type Level = 'normal' | 'warning' | 'critical';

export type Trigger =
  'fsd' | 'ob_lb' | 'dead_on_battery' | 'charge' | 'runtime' | 'on_battery_time' | 'runtime_vs_plan' | 'min_supplies';

export interface Reason {
  readonly trigger: Trigger | 'on_battery' | 'comms' | 'ob_lb_pending' | 'calibrating';
  readonly ups: string;
  readonly message: string;
  readonly values: Readonly<Record<string, number>>;
}

/** What the policy remembers of one UPS between snapshots. */
export interface UpsTrack {
  readonly ups: string;
  readonly status: readonly string[];
  /** Last known on-battery state, kept through a loss of contact. */
  readonly onBattery: boolean;
  readonly onBatterySince: number | null;
  readonly obLbSince: number | null;
  readonly charge: number | null;
  readonly runtime: number | null;
  /** ms since epoch; 0 if never heard from. */
  readonly lastContactAt: number;
  /** The monitor's contact state in the last snapshot. The dead time is the policy's own, from `lastContactAt`. */
  readonly comms: CommsState;
}

export type PolicyState = Readonly<Record<string, UpsTrack>>;

export interface UpsVerdict {
  readonly ups: string;
  readonly level: Level;
  readonly reasons: readonly Reason[];
}

export interface Decision {
  readonly level: Level;
  /** The reasons of the worst level, first the one that decided. */
  readonly reasons: readonly Reason[];
  readonly ups: readonly UpsVerdict[];
  readonly hosts: readonly { host: string; fed: number; min: number }[];
}

function num(v: string | undefined): number | null {
  if (v === undefined) return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Folds one snapshot into what the policy knows of its UPS. A snapshot without contact keeps the last known state. */
export function track(prev: UpsTrack | undefined, s: UpsSnapshot): UpsTrack {
  const heard = s.comms === 'ok' || s.comms === 'stale';
  if (!heard && prev && s.status.length === 0) {
    return { ...prev, comms: s.comms, lastContactAt: Math.max(prev.lastContactAt, s.lastContactAt) };
  }
  const ob = s.status.includes('OB');
  const lb = s.status.includes('LB');
  return {
    ups: s.ups,
    status: s.status,
    onBattery: ob,
    onBatterySince: ob ? (prev?.onBattery ? (prev.onBatterySince ?? s.at) : s.at) : null,
    obLbSince: ob && lb ? (prev?.obLbSince ?? s.at) : null,
    charge: num(s.variables['battery.charge']),
    runtime: num(s.variables['battery.runtime']),
    lastContactAt: s.lastContactAt,
    comms: s.comms,
  };
}

export function trackAll(state: PolicyState, s: UpsSnapshot): PolicyState {
  return { ...state, [s.ups]: track(state[s.ups], s) };
}

const rank: Record<Level, number> = { normal: 0, warning: 1, critical: 2 };

/** One UPS, upsmon's rules in order, then the user's thresholds. */
export function judgeUps(t: UpsTrack, cfg: PolicyConfig, now: number, planEstimateS: number | null): UpsVerdict {
  const critical: Reason[] = [];
  const warning: Reason[] = [];
  const r = (trigger: Reason['trigger'], message: string, values: Record<string, number> = {}): Reason => ({
    trigger,
    ups: t.ups,
    message,
    values,
  });
  const deadMs = cfg.dead_time_s * 1000;
  const silentMs = t.lastContactAt > 0 ? now - t.lastContactAt : 0;
  const dead = t.lastContactAt > 0 && silentMs > deadMs;
  const has = (tok: string): boolean => t.status.includes(tok);
  const heard = t.comms === 'ok' || t.comms === 'stale';

  // 0. A UPS the appliance cannot see protects nothing: never reached, or contact lost (at once, whatever the monitor's
  // own timing; only the dead time below, counted here from the last contact, can make it critical).
  if (!heard && t.lastContactAt === 0) {
    warning.push(r('comms', `${t.ups}: never reached: nothing is protected until it answers`));
  } else if (!heard && !(silentMs > deadMs)) {
    warning.push(
      r('comms', `${t.ups}: contact lost ${Math.round(silentMs / 1000)} s ago: nothing is protected until it answers`, {
        silentS: Math.round(silentMs / 1000),
      }),
    );
  }

  // 1. FSD.
  if (has('FSD')) critical.push(r('fsd', `${t.ups}: forced shutdown (FSD) set`));
  // 2. Dead time while last known on battery: treated as low battery, so critical.
  if (dead && t.onBattery) {
    critical.push(
      r('dead_on_battery', `${t.ups}: no contact for ${Math.round(silentMs / 1000)} s while on battery`, {
        silentS: Math.round(silentMs / 1000),
        deadTimeS: cfg.dead_time_s,
      }),
    );
  } else if (dead) {
    warning.push(r('comms', `${t.ups}: no contact for ${Math.round(silentMs / 1000)} s (on line when last seen)`));
  }
  // 5-8. OB+LB, unless calibrating, after OBLBDURATION; we are the primary.
  if (t.onBattery && has('LB')) {
    if (has('CAL')) warning.push(r('calibrating', `${t.ups}: OB LB during calibration`));
    else {
      const heldS = t.obLbSince === null ? 0 : (now - t.obLbSince) / 1000;
      if (heldS >= cfg.ob_lb_duration_s) critical.push(r('ob_lb', `${t.ups}: on battery and low battery`));
      else warning.push(r('ob_lb_pending', `${t.ups}: OB LB for ${heldS.toFixed(0)} s`, { heldS }));
    }
  }
  // The user's own thresholds count only once the outage has outlasted a flicker.
  if (t.onBattery && t.onBatterySince !== null) {
    const onS = (now - t.onBatterySince) / 1000;
    warning.push(r('on_battery', `${t.ups}: on battery for ${Math.round(onS)} s`, { onBatteryS: Math.round(onS) }));
    if (onS >= cfg.flicker_s) {
      if (cfg.charge_pct !== undefined && t.charge !== null && t.charge <= cfg.charge_pct) {
        critical.push(
          r('charge', `${t.ups}: charge ${t.charge} % at or below ${cfg.charge_pct} %`, {
            charge: t.charge,
            threshold: cfg.charge_pct,
          }),
        );
      }
      if (cfg.runtime_s !== undefined && t.runtime !== null && t.runtime <= cfg.runtime_s) {
        critical.push(
          r('runtime', `${t.ups}: runtime ${t.runtime} s at or below ${cfg.runtime_s} s`, {
            runtime: t.runtime,
            threshold: cfg.runtime_s,
          }),
        );
      }
      if (cfg.on_battery_s !== undefined && onS >= cfg.on_battery_s) {
        critical.push(
          r('on_battery_time', `${t.ups}: on battery ${Math.round(onS)} s, limit ${cfg.on_battery_s} s`, {
            onBatteryS: Math.round(onS),
            threshold: cfg.on_battery_s,
          }),
        );
      }
      if (planEstimateS !== null && cfg.runtime_factor > 0 && t.runtime !== null) {
        const need = planEstimateS * cfg.runtime_factor + cfg.runtime_margin_s;
        if (t.runtime < need) {
          critical.push(
            r(
              'runtime_vs_plan',
              `${t.ups}: runtime ${t.runtime} s below the plan's ${Math.round(planEstimateS)} s × ${cfg.runtime_factor} + ${cfg.runtime_margin_s} s`,
              { runtime: t.runtime, needS: Math.round(need), planS: Math.round(planEstimateS) },
            ),
          );
        }
      }
    }
  }
  if (critical.length > 0) return { ups: t.ups, level: 'critical', reasons: critical };
  if (warning.length > 0) return { ups: t.ups, level: 'warning', reasons: warning };
  return { ups: t.ups, level: 'normal', reasons: [] };
}

/**
 * The whole decision. Each host sums the power values of the UPSes feeding it that are not critical (a UPS never
 * heard from counts as on line, as upsmon assumes); fewer than its minimum makes the decision critical. Without
 * configured hosts, one host fed by every known UPS with power 1 and a minimum of 1.
 */
export function decide(
  state: PolicyState,
  cfg: PolicyConfig,
  now: number,
  planEstimateS: number | null = null,
): Decision {
  const verdicts = Object.values(state).map((t) => judgeUps(t, cfg, now, planEstimateS));
  const byUps = new Map(verdicts.map((v) => [v.ups, v]));
  const hosts =
    cfg.hosts.length > 0
      ? cfg.hosts
      : Object.keys(state).length > 0
        ? [{ name: 'cluster', feeds: Object.keys(state).map((ups) => ({ ups, power: 1 })), min_supplies: 1 }]
        : [];
  const hostSums = hosts.map((h) => ({
    host: h.name,
    fed: h.feeds.reduce((sum, f) => sum + (byUps.get(f.ups)?.level === 'critical' ? 0 : f.power), 0),
    min: h.min_supplies,
  }));
  const starved = hostSums.filter((h) => h.fed < h.min);
  if (starved.length > 0) {
    const reasons: Reason[] = starved.map((h) => ({
      trigger: 'min_supplies',
      ups: hosts
        .find((x) => x.name === h.host)!
        .feeds.map((f) => f.ups)
        .join(','),
      message: `${h.host}: ${h.fed} supplies fed by non-critical UPSes, fewer than ${h.min}`,
      values: { fed: h.fed, min: h.min },
    }));
    const upsReasons = verdicts.filter((v) => v.level === 'critical').flatMap((v) => v.reasons);
    return { level: 'critical', reasons: [...upsReasons, ...reasons], ups: verdicts, hosts: hostSums };
  }
  let level: Level = 'normal';
  for (const v of verdicts) if (rank[v.level] > rank[level]) level = v.level;
  // A critical UPS whose hosts are still fed by others only warns.
  if (level === 'critical') level = 'warning';
  const reasons = verdicts.filter((v) => v.level !== 'normal').flatMap((v) => v.reasons);
  return { level, reasons, ups: verdicts, hosts: hostSums };
}

/** One line for the event log and the page. */
export function describeDecision(d: Decision): string {
  if (d.level === 'normal') return 'normal';
  return `${d.level}: ${d.reasons.map((r) => r.message).join('; ')}`;
}
