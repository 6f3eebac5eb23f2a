import type { UpsEventType } from './events.js';

/** A token appearing or disappearing in ups.status, and the event upsmon raises for it. */
const onAppear: ReadonlyArray<[token: string, event: UpsEventType, message: string]> = [
  ['OB', 'ONBATT', 'on battery'],
  ['LB', 'LOWBATT', 'battery is low'],
  ['FSD', 'FSD', 'forced shutdown in progress'],
  ['RB', 'REPLBATT', 'battery needs to be replaced'],
  ['OVER', 'OVERLOAD', 'output overloaded'],
  ['CAL', 'CAL', 'calibration (runtime test) running'],
  ['OFF', 'OFF', 'output is off'],
  ['BYPASS', 'BYPASS', 'on bypass'],
];

const onDisappear: ReadonlyArray<[token: string, event: UpsEventType, message: string]> = [
  ['OFF', 'NOTOFF', 'output is on again'],
  ['BYPASS', 'NOTBYPASS', 'no longer on bypass'],
];

export interface StatusChange {
  readonly type: UpsEventType;
  readonly message: string;
}

/**
 * Events between two consecutive ups.status readings, as upsmon raises them: ONLINE only after having been on battery
 * (or on the first reading, nothing for OL), ONBATT whenever OB appears, and so on.
 */
export function statusChanges(prev: readonly string[] | null, next: readonly string[]): StatusChange[] {
  const out: StatusChange[] = [];
  const had = new Set(prev ?? []);
  const has = new Set(next);
  if (has.has('OL') && had.has('OB')) out.push({ type: 'ONLINE', message: 'on line power' });
  for (const [token, type, message] of onAppear) if (has.has(token) && !had.has(token)) out.push({ type, message });
  if (prev)
    for (const [token, type, message] of onDisappear)
      if (had.has(token) && !has.has(token)) out.push({ type, message });
  return out;
}
