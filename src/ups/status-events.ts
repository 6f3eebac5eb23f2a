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
 * A duration as people say it, the two largest units only: "45 s", "2 min 10 s", "1 h 5 min", "3 d 2 h". Under a
 * second is "0 s"; negative or non-finite is "0 s" too (a clock step must not print nonsense).
 */
export function describeDuration(ms: number): string {
  const total = Number.isFinite(ms) && ms > 0 ? Math.round(ms / 1000) : 0;
  const units: [number, string][] = [
    [86_400, 'd'],
    [3600, 'h'],
    [60, 'min'],
    [1, 's'],
  ];
  const parts: string[] = [];
  let rest = total;
  for (const [size, name] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || (parts.length > 0 && parts.length < 2)) parts.push(`${n} ${name}`);
    if (parts.length === 2) break;
  }
  // "2 min 0 s" says no more than "2 min".
  const trimmed = parts.length === 2 && parts[1]!.startsWith('0 ') ? [parts[0]!] : parts;
  return trimmed.length === 0 ? '0 s' : trimmed.join(' ');
}

/** Every event's message names its UPS first ("sim1: on battery"), once: a message already starting so is kept. */
export function namedMessage(ups: string, message: string): string {
  if (ups === '' || message.startsWith(`${ups}: `)) return message;
  return `${ups}: ${message}`;
}

/**
 * Events between two consecutive ups.status readings, as upsmon raises them: ONLINE only after having been on battery
 * (or on the first reading, nothing for OL), ONBATT whenever OB appears, and so on. `onBatteryForMs`, when known, is
 * how long the outage that ends here lasted: "back on mains after 2 min 10 s".
 */
export function statusChanges(
  prev: readonly string[] | null,
  next: readonly string[],
  onBatteryForMs: number | null = null,
): StatusChange[] {
  const out: StatusChange[] = [];
  const had = new Set(prev ?? []);
  const has = new Set(next);
  if (has.has('OL') && had.has('OB')) {
    // A flicker shorter than a second gets no duration: "after 0 s" says nothing.
    const after = onBatteryForMs === null || onBatteryForMs < 1000 ? '' : ` after ${describeDuration(onBatteryForMs)}`;
    out.push({ type: 'ONLINE', message: `back on mains${after}` });
  }
  for (const [token, type, message] of onAppear) if (has.has(token) && !had.has(token)) out.push({ type, message });
  if (prev)
    for (const [token, type, message] of onDisappear)
      if (had.has(token) && !has.has(token)) out.push({ type, message });
  return out;
}
