/**
 * ups.status, NUT style: boolean sources set or clear internal flags (several sources for one meaning never
 * cancel each other because each flag is its own), then the flags become tokens in NUT's order (reference §7).
 */
import type { OnlineDischarge } from './types.js';

export type StatusFlag =
  | 'online'
  | 'dischrg'
  | 'chrg'
  | 'lowbatt'
  | 'timelimitexp'
  | 'shutdownimm'
  | 'replacebatt'
  | 'nobattery'
  | 'overload'
  | 'trim'
  | 'boost'
  | 'bypassauto'
  | 'bypassman'
  | 'off'
  | 'cal'
  | 'fullycharged'
  | 'depleted'
  | 'vrange'
  | 'frange'
  | 'commfault'
  | 'overheat'
  | 'awaitingpower'
  | 'fanfail';

/** value -> "flag" (set) or "!flag" (clear); values not listed leave the flags alone, as NUT's lookups do. */
export type StatusLookup = Readonly<Record<number, `${'' | '!'}${StatusFlag}`>>;

export interface StatusSpec {
  readonly path: string;
  readonly lookup: StatusLookup;
  /** Ignore this source while the UPS reports itself off (Eaton's converter "Used" bit). */
  readonly unlessOff?: boolean;
}

export type StatusFlags = Map<StatusFlag, boolean>;

export const on = (flag: StatusFlag): StatusLookup => ({ 1: flag, 0: `!${flag}` });
/** Inverted sources (Good, BatteryPresent): devices that lack them count as "on" and "battery present". */
export const inverted = (flag: StatusFlag): StatusLookup => ({ 0: flag, 1: `!${flag}` });

const BITS: readonly (readonly [string, StatusLookup])[] = [
  ['ACPresent', on('online')],
  ['Discharging', on('dischrg')],
  ['Charging', on('chrg')],
  ['BelowRemainingCapacityLimit', on('lowbatt')],
  ['RemainingTimeLimitExpired', on('timelimitexp')],
  ['ShutdownImminent', on('shutdownimm')],
  ['NeedReplacement', on('replacebatt')],
  ['BatteryPresent', inverted('nobattery')],
  ['Overload', on('overload')],
  ['Buck', on('trim')],
  ['Boost', on('boost')],
  ['FullyCharged', on('fullycharged')],
  ['FullyDischarged', on('depleted')],
  ['CommunicationLost', on('commfault')],
];

/** The PDC status bits under the three roots devices use (APC Back-UPS 500 has them flat under PowerSummary). */
export const GENERIC_STATUS: readonly StatusSpec[] = [
  'UPS.PowerSummary.PresentStatus',
  'UPS.PowerSummary',
  'UPS.PresentStatus',
].flatMap((root) => BITS.map(([name, lookup]) => ({ path: `${root}.${name}`, lookup })));

export function applyStatus(flags: StatusFlags, lookup: StatusLookup, value: number): void {
  const entry = lookup[Math.trunc(value)];
  if (entry === undefined) return;
  const clear = entry.startsWith('!');
  flags.set((clear ? entry.slice(1) : entry) as StatusFlag, !clear);
}

export interface StatusContext {
  onlineDischarge: OnlineDischarge;
  /** battery.charge, when the device reports it. */
  charge?: number;
}

/** Flags to tokens: CAL, OB/OL, DISCHRG, CHRG, LB, OVER, RB, TRIM, BOOST, BYPASS, OFF. */
export function statusTokens(flags: ReadonlyMap<StatusFlag, boolean>, ctx: StatusContext): string[] {
  const has = (f: StatusFlag): boolean => flags.get(f) === true;
  const tokens: string[] = [];
  const add = (t: string): void => {
    if (!tokens.includes(t)) tokens.push(t);
  };
  const online = flags.get('online');
  const dischrg = has('dischrg');
  if (has('cal')) add('CAL');
  if (online === false || (online === undefined && dischrg)) {
    add('OB');
  } else if (online === true && dischrg) {
    // Online and discharging: a calibration, or a unit (CyberPower UT) that is really on battery.
    if (ctx.onlineDischarge === 'onbattery') add('OB');
    else if (ctx.onlineDischarge === 'calibration') add('CAL');
    else add('OL');
  } else if (online === true) {
    add('OL');
  }
  if (dischrg && !has('depleted')) add('DISCHRG');
  if (has('chrg')) {
    const full = flags.get('fullycharged');
    const charging = full !== undefined ? !full : ctx.charge === undefined || (ctx.charge > 0 && ctx.charge < 100);
    if (charging) add('CHRG');
  }
  if (has('lowbatt') || has('timelimitexp') || has('shutdownimm')) add('LB');
  if (has('overload')) add('OVER');
  if (has('replacebatt') || has('nobattery')) add('RB');
  if (has('trim')) add('TRIM');
  if (has('boost')) add('BOOST');
  if (has('bypassauto') || has('bypassman')) add('BYPASS');
  if (has('off')) add('OFF');
  return tokens;
}
