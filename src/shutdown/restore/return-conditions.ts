import type { BatteryBarConfig, RestoreConfig } from '../../config/restore-schema.js';

/**
 * When it is safe to come back, pure: mains present for `mains_steady_s` without a drop, and the battery over the
 * tier's bar (charge OR runtime, PowerChute's return conditions). The first tier (the hosts and the last phase to go
 * down) has its own, lower bar; every later tier the other. A bar half the UPS does not report is left out; a bar with
 * no half the UPS reports holds (a UPS without battery.charge must not keep the cluster down for ever).
 */
export interface BatteryNow {
  readonly chargePct: number | null;
  readonly runtimeS: number | null;
}

export interface BarCheck {
  readonly bar: BatteryBarConfig;
  readonly met: boolean;
  /** "charge 34 % ≥ 20 %", "runtime 300 s < 600 s and charge 40 % < 50 %". */
  readonly why: string;
}

export interface ReturnConditions {
  readonly mainsOnline: boolean;
  /** How long mains has been present without a drop, or null while it is absent. */
  readonly mainsSteadyForS: number | null;
  readonly mainsSteadyNeededS: number;
  readonly mainsSteady: boolean;
  readonly battery: BatteryNow;
  readonly firstTier: BarCheck;
  readonly otherTiers: BarCheck;
  /** Mains steady and the first tier's bar met: the restore may begin. */
  readonly ready: boolean;
}

/** Mains seen once more: when its present stretch began, or null while it is absent. A drop starts it again. */
export function mainsSince(prev: number | null, online: boolean, now: number): number | null {
  if (!online) return null;
  return prev ?? now;
}

export function checkBar(bar: BatteryBarConfig, b: BatteryNow): BarCheck {
  const halves: { met: boolean; text: string }[] = [];
  if (bar.charge_pct !== undefined && b.chargePct !== null) {
    const met = b.chargePct >= bar.charge_pct;
    halves.push({ met, text: `charge ${fmt(b.chargePct)} % ${met ? '≥' : '<'} ${fmt(bar.charge_pct)} %` });
  }
  if (bar.runtime_s !== undefined && b.runtimeS !== null) {
    const met = b.runtimeS >= bar.runtime_s;
    halves.push({ met, text: `runtime ${fmt(b.runtimeS)} s ${met ? '≥' : '<'} ${fmt(bar.runtime_s)} s` });
  }
  if (halves.length === 0) {
    const none = bar.charge_pct === undefined && bar.runtime_s === undefined;
    return { bar, met: true, why: none ? 'no battery bar' : 'the UPS reports neither charge nor runtime' };
  }
  const met = halves.some((h) => h.met);
  const shown = met ? halves.filter((h) => h.met) : halves;
  return { bar, met, why: shown.map((h) => h.text).join(met ? ', ' : ' and ') };
}

export function returnConditions(
  cfg: Pick<RestoreConfig, 'mains_steady_s' | 'first_tier' | 'other_tiers'>,
  o: { mainsOnline: boolean; mainsSince: number | null; now: number; battery: BatteryNow },
): ReturnConditions {
  const since = o.mainsOnline ? o.mainsSince : null;
  const steadyFor = since === null ? null : Math.max(0, (o.now - since) / 1000);
  const mainsSteady = steadyFor !== null && steadyFor >= cfg.mains_steady_s;
  const firstTier = checkBar(cfg.first_tier, o.battery);
  return {
    mainsOnline: o.mainsOnline,
    mainsSteadyForS: steadyFor,
    mainsSteadyNeededS: cfg.mains_steady_s,
    mainsSteady,
    battery: o.battery,
    firstTier,
    otherTiers: checkBar(cfg.other_tiers, o.battery),
    ready: mainsSteady && firstTier.met,
  };
}

/** Why the restore waits, in one line; null when it need not. */
export function waitingFor(c: ReturnConditions, tier: 'first' | 'other'): string | null {
  if (!c.mainsOnline) return 'mains is absent';
  if (!c.mainsSteady) {
    return `mains present for ${fmt(c.mainsSteadyForS ?? 0)} s of the ${fmt(c.mainsSteadyNeededS)} s required`;
  }
  const bar = tier === 'first' ? c.firstTier : c.otherTiers;
  return bar.met ? null : `battery below the ${tier === 'first' ? 'first tier' : 'other tiers'}' bar: ${bar.why}`;
}

/** A UPS variable as a number, or null when absent or not a number. */
export function numberOf(v: string | undefined): number | null {
  if (v === undefined || v.trim() === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function fmt(n: number): string {
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}
