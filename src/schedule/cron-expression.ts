// A cron expression matched against local time with Date's own getters. Pure: no I/O, no clock.
//
// node-cron matched every second through Intl.DateTimeFormat#formatToParts, which maps ICU's locale and time-zone
// data into the process: about 7 MB of resident memory in an appliance meant to stay under 80 MB, for five numbers
// that Date gives directly. This keeps the syntax the configs use (node-cron's, seconds optional) and refuses, by
// name, what it does not implement.
import { ErrorCode, UpsguardError } from '../errors.js';

// A Map, not an object literal: a config's text must never reach Object.prototype (`__proto__`, `constructor`).
const NICKNAMES: ReadonlyMap<string, string> = new Map([
  ['@yearly', '0 0 1 1 *'],
  ['@annually', '0 0 1 1 *'],
  ['@monthly', '0 0 1 * *'],
  ['@weekly', '0 0 * * 0'],
  ['@daily', '0 0 * * *'],
  ['@midnight', '0 0 * * *'],
  ['@hourly', '0 * * * *'],
]);

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  /** Names for the values, from `min` on (jan = 1, sun = 0). */
  readonly names?: readonly string[];
}

const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTHS },
  // 7 is Sunday too, folded onto 0 below.
  { name: 'day of week', min: 0, max: 7, names: DAYS },
];

/** A parsed expression: which seconds, minutes, hours, days, months and weekdays it fires on. */
export interface CronExpression {
  readonly source: string;
  /** Whether the expression fires in the second that starts at `date` (local time; milliseconds ignored). */
  matches(date: Date): boolean;
}

function invalid(source: string, why: string): UpsguardError {
  return new UpsguardError(ErrorCode.ConfigInvalid, `cron expression ${JSON.stringify(source)}: ${why}`);
}

function value(text: string, spec: FieldSpec, source: string): number {
  const lower = text.toLowerCase();
  const named = spec.names?.findIndex((n) => n === lower) ?? -1;
  if (named >= 0) return named + (spec.names === MONTHS ? 1 : 0);
  if (!/^\d{1,2}$/.test(text)) throw invalid(source, `${spec.name} ${JSON.stringify(text)} is not a number`);
  const n = Number(text);
  if (n < spec.min || n > spec.max) {
    throw invalid(source, `${spec.name} ${n} is outside ${spec.min}-${spec.max}`);
  }
  return n;
}

/** One field (`*`, `5`, `1-5`, `*\/15`, `mon-fri`, `1,15`) as the set of values it allows. */
function field(text: string, spec: FieldSpec, source: string): Set<number> {
  const allowed = new Set<number>();
  for (const item of text.split(',')) {
    const [range = '', stepText, extra] = item.split('/');
    if (extra !== undefined || range === '') throw invalid(source, `${spec.name} ${JSON.stringify(item)} is malformed`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d{1,2}$/.test(stepText) || Number(stepText) === 0) {
        throw invalid(source, `${spec.name} step ${JSON.stringify(stepText)} is not a positive number`);
      }
      step = Number(stepText);
    }
    let from: number;
    let to: number;
    if (range === '*' || range === '?') {
      from = spec.min;
      to = spec.max;
    } else if (range.includes('-')) {
      const [a = '', b = '', more] = range.split('-');
      if (more !== undefined) throw invalid(source, `${spec.name} range ${JSON.stringify(range)} is malformed`);
      from = value(a, spec, source);
      to = value(b, spec, source);
      if (from > to) throw invalid(source, `${spec.name} range ${JSON.stringify(range)} runs backwards`);
    } else {
      from = value(range, spec, source);
      // "5/15": from 5 on, every 15, as node-cron reads it.
      to = stepText === undefined ? from : spec.max;
    }
    for (let v = from; v <= to; v += step) allowed.add(v);
  }
  return allowed;
}

/**
 * Parses a cron expression: five fields (minute hour day-of-month month day-of-week) or six (seconds first), or one
 * of @yearly, @monthly, @weekly, @daily, @hourly. All fields must match, as in node-cron. Throws a CONFIG_INVALID
 * error naming the expression and the field at fault (L, W and # are not supported).
 */
export function parseCron(source: string): CronExpression {
  if (source.length > 200) throw invalid(source.slice(0, 40), 'longer than 200 characters');
  const expanded = NICKNAMES.get(source.trim().toLowerCase()) ?? source;
  const parts = expanded.trim().split(/\s+/);
  if (parts.length === 5) parts.unshift('0');
  if (parts.length !== 6) throw invalid(source, `has ${parts.length} fields; 5 or 6 expected`);
  const [second, minute, hour, day, month, weekday] = parts.map((p, i) => field(p, FIELDS[i]!, source)) as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  if (weekday.delete(7)) weekday.add(0);
  return {
    source,
    matches: (d) =>
      second.has(d.getSeconds()) &&
      minute.has(d.getMinutes()) &&
      hour.has(d.getHours()) &&
      day.has(d.getDate()) &&
      month.has(d.getMonth() + 1) &&
      weekday.has(d.getDay()),
  };
}
