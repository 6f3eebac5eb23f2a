import type { PolicyConfig } from '../config/shutdown-schema.js';
import type { Decision, Level, PolicyState, Trigger, UpsTrack } from './policy.js';
import { formatDuration } from '../util/duration-words.js';

/**
 * Pure: the decision in one sentence, and when the plan starts. It reads the same tracked state, settings and plan
 * estimate as `decide` (policy.ts) and asks, per rule, how long until that rule's own comparison flips: on battery
 * exactly; runtime falling one second per second; charge from its slope observed since the outage began (without one,
 * only "when charge reaches N %"). Several UPSes go through the same host sums as `decide`: the plan starts when the
 * UPSes that have crossed leave a host with fewer supplies than its minimum.
 */

/** The first reading of each UPS in the outage, for the charge's slope. */
export type OutageStarts = Readonly<Record<string, { readonly at: number; readonly charge: number | null }>>;

export interface ForecastInput {
  readonly policy: PolicyConfig;
  readonly state: PolicyState;
  readonly decision: Decision;
  /** The plan in force and its estimate (seconds, the one `decide` is given); null without a plan. */
  readonly plan: { readonly name: string; readonly estimateS: number | null } | null;
  readonly now: number;
  /** A real run going now, and its current phase. */
  readonly running: { readonly plan: string; readonly phase: string | null } | null;
  /** The outage already tripped the trigger. */
  readonly latched: boolean;
  readonly rearmAfterS: number;
  readonly starts?: OutageStarts;
}

export interface Forecast {
  readonly level: Level;
  readonly sentence: string;
  /** ms since epoch, or null. */
  readonly startsAt: number | null;
  readonly startsInS: number | null;
  readonly rule: Trigger | null;
  readonly ups: string | null;
  readonly onBatteryS: number | null;
  readonly running: boolean;
  readonly latched: boolean;
}

// The one wording of durations, shared with the page's live clocks.
export { formatDuration };

const heard = (t: UpsTrack): boolean => t.comms === 'ok' || t.comms === 'stale';

/** Keeps the first reading of each UPS's outage; forgets it once the UPS is back on mains. */
export function foldOutageStarts(prev: OutageStarts, state: PolicyState, now: number): OutageStarts {
  const out: Record<string, { at: number; charge: number | null }> = {};
  for (const t of Object.values(state)) {
    if (!t.onBattery) continue;
    const p = prev[t.ups];
    out[t.ups] = p && (p.charge !== null || t.charge === null) ? p : { at: now, charge: t.charge };
  }
  return out;
}

/** When one rule fires on one UPS: seconds from now (0: now), or null when no time can be given. */
interface Fire {
  readonly rule: Trigger;
  readonly ups: string;
  readonly inS: number | null;
  readonly detail: string;
}

const CHARGE_SLOPE_MIN_S = 30;

function firesOf(t: UpsTrack, i: ForecastInput): Fire[] {
  const { policy: cfg, now } = i;
  if (!t.onBattery || t.onBatterySince === null) return [];
  const onS = (now - t.onBatterySince) / 1000;
  const gate = Math.max(0, cfg.flicker_s - onS);
  const out: Fire[] = [];
  const fire = (rule: Trigger, inS: number | null, detail: string): void => {
    out.push({ rule, ups: t.ups, inS: inS === null ? null : Math.max(0, inS), detail });
  };
  if (!heard(t) && t.lastContactAt > 0) {
    const silentS = (now - t.lastContactAt) / 1000;
    fire('dead_on_battery', cfg.dead_time_s - silentS, `not reached for ${formatDuration(silentS)} while on battery`);
  }
  if (t.status.includes('LB') && !t.status.includes('CAL') && t.obLbSince !== null) {
    fire('ob_lb', cfg.ob_lb_duration_s - (now - t.obLbSince) / 1000, 'on battery and low battery');
  }
  if (cfg.on_battery_s !== undefined) {
    fire(
      'on_battery_time',
      Math.max(gate, cfg.on_battery_s - onS),
      `on battery for ${formatDuration(cfg.on_battery_s)}`,
    );
  }
  if (cfg.runtime_s !== undefined && t.runtime !== null) {
    fire(
      'runtime',
      Math.max(gate, t.runtime - cfg.runtime_s),
      `runtime ${formatDuration(t.runtime)}, limit ${formatDuration(cfg.runtime_s)}`,
    );
  }
  const est = i.plan?.estimateS ?? null;
  if (est !== null && cfg.runtime_factor > 0 && t.runtime !== null) {
    const need = est * cfg.runtime_factor + cfg.runtime_margin_s;
    fire(
      'runtime_vs_plan',
      Math.max(gate, t.runtime - need),
      `runtime ${formatDuration(t.runtime)} < plan ${formatDuration(est)} × ${cfg.runtime_factor} + ${cfg.runtime_margin_s} s`,
    );
  }
  if (cfg.charge_pct !== undefined && t.charge !== null) {
    const start = i.starts?.[t.ups];
    const dtS = start ? (now - start.at) / 1000 : 0;
    const slope = start && start.charge !== null && dtS >= CHARGE_SLOPE_MIN_S ? (t.charge - start.charge) / dtS : null;
    if (t.charge <= cfg.charge_pct) fire('charge', gate, `charge ${t.charge} % at or below ${cfg.charge_pct} %`);
    else if (slope !== null && slope < 0) {
      fire(
        'charge',
        Math.max(gate, (t.charge - cfg.charge_pct) / -slope),
        `charge ${t.charge} % falling ${(-slope * 60).toFixed(1)} %/min to ${cfg.charge_pct} %`,
      );
    } else fire('charge', null, `when charge reaches ${cfg.charge_pct} % (now ${t.charge} %)`);
  }
  return out;
}

const LABEL: Partial<Record<Trigger, string>> = {
  runtime_vs_plan: 'runtime-aware rule: ',
  runtime: 'runtime rule: ',
  charge: 'charge rule: ',
  ob_lb: 'low battery: ',
  dead_on_battery: 'dead time: ',
};

/** Hosts as `decide` sums them: configured, else one fed by every UPS with one supply needed. */
function hostsOf(i: ForecastInput): { feeds: { ups: string; power: number }[]; min: number }[] {
  const names = Object.keys(i.state);
  if (i.policy.hosts.length > 0) return i.policy.hosts.map((h) => ({ feeds: h.feeds, min: h.min_supplies }));
  return names.length > 0 ? [{ feeds: names.map((ups) => ({ ups, power: 1 })), min: 1 }] : [];
}

function starves(i: ForecastInput, critical: ReadonlySet<string>): boolean {
  return hostsOf(i).some((h) => h.feeds.reduce((s, f) => s + (critical.has(f.ups) ? 0 : f.power), 0) < h.min);
}

/** The fire that trips the whole decision first: known times in order, then those without a time. */
function firstTrip(i: ForecastInput): { fire: Fire | null; blocked: boolean } {
  const critical = new Set(i.decision.ups.filter((v) => v.level === 'critical').map((v) => v.ups));
  const earliest = new Map<string, Fire>();
  const untimed = new Map<string, Fire>();
  for (const t of Object.values(i.state)) {
    if (critical.has(t.ups)) continue;
    const fires = firesOf(t, i);
    const timed = fires.filter((f) => f.inS !== null).sort((a, b) => (a.inS ?? 0) - (b.inS ?? 0))[0];
    if (timed) earliest.set(t.ups, timed);
    const none = fires.find((f) => f.inS === null);
    if (none && !timed) untimed.set(t.ups, none);
  }
  const ordered = [...earliest.values()].sort((a, b) => (a.inS ?? 0) - (b.inS ?? 0));
  const crossed = new Set(critical);
  for (const f of ordered) {
    crossed.add(f.ups);
    if (starves(i, crossed)) return { fire: f, blocked: false };
  }
  for (const f of untimed.values()) {
    crossed.add(f.ups);
    if (starves(i, crossed)) return { fire: f, blocked: false };
  }
  const anyOnBattery = Object.values(i.state).some((t) => t.onBattery);
  // Some rule would fire, but the UPSes still on mains feed every host.
  return { fire: null, blocked: anyOnBattery && (ordered.length > 0 || untimed.size > 0) };
}

function statusOf(t: UpsTrack, i: ForecastInput, many: boolean): string {
  const who = many ? `UPS ${t.ups} ` : '';
  const cap = (s: string): string => (many ? s : s.charAt(0).toUpperCase() + s.slice(1));
  if (!heard(t) && t.lastContactAt === 0) return `UPS ${t.ups} never reached: nothing is protected until it answers`;
  if (!heard(t)) {
    const silent = formatDuration((i.now - t.lastContactAt) / 1000);
    if (!t.onBattery) return `UPS ${t.ups} not reached for ${silent} (on mains when last seen)`;
    const left = Math.max(0, i.policy.dead_time_s - (i.now - t.lastContactAt) / 1000);
    return left > 0
      ? `UPS ${t.ups} not reached for ${silent} while on battery: treated as low battery in ${formatDuration(left)}`
      : `UPS ${t.ups} not reached for ${silent} while on battery: treated as low battery`;
  }
  if (!t.onBattery || t.onBatterySince === null) return `${who}${cap('on mains')}`;
  const onS = (i.now - t.onBatterySince) / 1000;
  const f = i.policy.flicker_s;
  const note =
    f <= 0
      ? ''
      : onS < f
        ? ` (within the flicker window of ${formatDuration(f)})`
        : onS < f + 30
          ? ` (flicker window ${formatDuration(f)} passed)`
          : '';
  return `${who}${cap('on battery')} ${formatDuration(onS)}${note}`;
}

/** The decision is critical now: the plan starts now (or has started for this outage, or there is none). */
function criticalNow(
  i: ForecastInput,
  base: Pick<Forecast, 'level' | 'onBatteryS' | 'running' | 'latched'>,
  lead: string,
): Forecast {
  const none = { startsAt: null, startsInS: null };
  const first = i.decision.reasons[0];
  const why = first ? ` (${first.message})` : '';
  const rule = first && first.trigger !== 'comms' ? (first.trigger as Trigger) : null;
  if (!i.plan)
    return {
      ...base,
      ...none,
      rule,
      ups: first?.ups ?? null,
      sentence: `${lead}. Critical${why}: no shutdown plan, nothing will shut down.`,
    };
  if (i.latched) {
    return {
      ...base,
      ...none,
      rule,
      ups: first?.ups ?? null,
      sentence: `${lead}. Critical${why}: plan ${i.plan.name} was started for this outage.`,
    };
  }
  return {
    ...base,
    startsAt: i.now,
    startsInS: 0,
    rule,
    ups: first?.ups ?? null,
    sentence: `${lead}. Plan ${i.plan.name} starts now${why}.`,
  };
}

export function forecast(i: ForecastInput): Forecast {
  const tracks = Object.values(i.state);
  const many = tracks.length > 1;
  const onBattery = tracks.filter((t) => t.onBattery && t.onBatterySince !== null);
  const onBatteryS =
    onBattery.length > 0
      ? Math.round(Math.max(...onBattery.map((t) => (i.now - (t.onBatterySince ?? i.now)) / 1000)))
      : null;
  const base = { level: i.decision.level, onBatteryS, running: i.running !== null, latched: i.latched };
  const none = { startsAt: null, startsInS: null, rule: null, ups: null };

  if (i.running) {
    const phase = i.running.phase ? `, phase ${i.running.phase}` : '';
    return { ...base, ...none, sentence: `Shutdown running: plan ${i.running.plan}${phase}` };
  }
  const status = tracks.map((t) => statusOf(t, i, many)).join('; ');
  const lead = status === '' ? 'No UPS configured' : status;
  if (i.decision.level === 'critical') return criticalNow(i, base, lead);
  if (i.latched) {
    return {
      ...base,
      ...none,
      sentence: `${lead}. The shutdown already ran for this outage: it re-arms once mains has been back on every UPS for ${formatDuration(i.rearmAfterS)}.`,
    };
  }
  if (onBattery.length === 0) {
    // A UPS not reached is said so by name; the rest is on mains.
    const sentence = tracks.every(heard) ? `${many ? 'On mains' : lead}. Nothing will shut down.` : `${lead}.`;
    return { ...base, ...none, sentence };
  }
  const { fire, blocked } = firstTrip(i);
  if (!fire) {
    const end = blocked
      ? 'Nothing will shut down while the UPSes on mains feed every host.'
      : i.plan
        ? `Plan ${i.plan.name} starts when ${many ? 'the UPSes report' : 'the UPS reports'} low battery (OB+LB).`
        : 'No shutdown plan: nothing will shut down.';
    return { ...base, ...none, sentence: `${lead}. ${end}` };
  }
  const on = many ? `UPS ${fire.ups}: ` : '';
  const label = LABEL[fire.rule] ?? '';
  const startsAt = fire.inS === null ? null : i.now + Math.round(fire.inS) * 1000;
  const startsInS = fire.inS === null ? null : Math.round(fire.inS);
  const found = { rule: fire.rule, ups: fire.ups };
  // The dead-time sentence already says when the UPS counts as low battery.
  const dead = fire.rule === 'dead_on_battery';
  if (!i.plan) {
    const when = startsInS === null ? fire.detail : `in ${formatDuration(startsInS)} (${on}${label}${fire.detail})`;
    return {
      ...base,
      ...none,
      ...found,
      sentence: `${lead}. No shutdown plan: the policy trips ${startsInS === null ? `${on}${when}` : when}, but nothing will shut down.`,
    };
  }
  if (dead) return { ...base, ...found, startsAt, startsInS, sentence: `${lead}. Plan ${i.plan.name} starts then.` };
  const when =
    startsInS === null
      ? `starts ${fire.detail}${many ? ` on UPS ${fire.ups}` : ''}`
      : `starts in ${formatDuration(startsInS)} (${on}${label}${fire.detail})`;
  return { ...base, ...found, startsAt, startsInS, sentence: `${lead}. Plan ${i.plan.name} ${when}` };
}
