/**
 * The apcupsd STATUS report for one UPS, built from its NUT view: the `KEY      : value` lines apcaccess prints and
 * Home Assistant's apcupsd integration parses. Pure: a snapshot and a time in, lines out.
 */
import type { UpsEvent, UpsSnapshot } from '../../ups/events.js';

export interface NisIdentity {
  readonly upsName: string;
  readonly hostname: string;
  readonly version: string;
  readonly startedAt: number;
}

/** apcupsd's STATFLAG bits (apc.h UPS_*), and the "battery present, plugged" bits a healthy unit always shows. */
const FLAG = {
  calibration: 0x01,
  trim: 0x02,
  boost: 0x04,
  online: 0x08,
  onbatt: 0x10,
  overload: 0x20,
  lowbatt: 0x40,
  replacebatt: 0x80,
};
const ALWAYS = 0x05000000;

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** apcupsd's date format: `2024-12-15 08:40:03 -0700`. */
export function nisDate(ms: number): string {
  const d = new Date(ms);
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? '+' : '-';
  const abs = Math.abs(off);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${sign}${pad(Math.floor(abs / 60))}${pad(abs % 60)}`
  );
}

/** NUT status tokens as apcupsd words, each followed by a space as apcupsd prints them. */
export function nisStatus(s: UpsSnapshot): { text: string; flags: number } {
  if (s.comms === 'lost' || s.lastContactAt === 0) return { text: 'COMMLOST', flags: ALWAYS };
  const t = new Set(s.status);
  let flags = ALWAYS;
  const words: string[] = [];
  if (t.has('FSD') || t.has('OFF')) words.push('SHUTTING DOWN');
  const mapped: [token: string, word: string, flag: number][] = [
    ['CAL', 'CAL', FLAG.calibration],
    ['TRIM', 'TRIM', FLAG.trim],
    ['BOOST', 'BOOST', FLAG.boost],
    ['OL', 'ONLINE', FLAG.online],
    ['OB', 'ONBATT', FLAG.onbatt],
    ['OVER', 'OVERLOAD', FLAG.overload],
    ['LB', 'LOWBATT', FLAG.lowbatt],
    ['RB', 'REPLACEBATT', FLAG.replacebatt],
  ];
  for (const [token, word, flag] of mapped) {
    if (!t.has(token)) continue;
    words.push(word);
    flags |= flag;
  }
  return { text: words.map((w) => `${w} `).join(''), flags };
}

/** Control characters (newlines among them) become spaces; code units are checked one by one on purpose. */
function controlsToSpaces(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    out += c < 0x20 || c === 0x7f ? ' ' : s.charAt(i);
  }
  return out;
}

const num = (v: string | undefined): number | undefined => {
  if (v === undefined || v.trim() === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
};

/** The report's lines (each without its newline), `APC` first and `END APC` last, as apcupsd's NIS sends them. */
export function nisStatusLines(s: UpsSnapshot, id: NisIdentity, now: number): string[] {
  const v = s.variables;
  const body: [string, string][] = [];
  const add = (key: string, value: string | undefined): void => {
    // One record per line: a device string with a newline or control byte must not split or forge a record.
    if (value !== undefined) body.push([key, controlsToSpaces(value)]);
  };
  const fixed = (name: string, unit: string, scale = 1, digits = 1): string | undefined => {
    const n = num(v[name]);
    return n === undefined ? undefined : `${(n * scale).toFixed(digits)} ${unit}`;
  };
  add('DATE', nisDate(now));
  add('HOSTNAME', id.hostname);
  add('VERSION', `3.14.14 (31 May 2016) upsguard ${id.version}`);
  add('UPSNAME', id.upsName);
  add('CABLE', 'USB Cable');
  add('DRIVER', 'USB UPS Driver');
  add('UPSMODE', 'Stand Alone');
  add('STARTTIME', nisDate(id.startedAt));
  add('MODEL', v['ups.model'] ?? v['device.model']);
  const status = nisStatus(s);
  add('STATUS', status.text);
  add('LINEV', fixed('input.voltage', 'Volts'));
  add('LOADPCT', fixed('ups.load', 'Percent'));
  add('BCHARGE', fixed('battery.charge', 'Percent'));
  add('TIMELEFT', fixed('battery.runtime', 'Minutes', 1 / 60));
  add('MBATTCHG', fixed('battery.charge.low', 'Percent', 1, 0));
  add('MINTIMEL', fixed('battery.runtime.low', 'Minutes', 1 / 60, 0));
  add('MAXTIME', '0 Seconds');
  add('OUTPUTV', fixed('output.voltage', 'Volts'));
  add('LOTRANS', fixed('input.transfer.low', 'Volts'));
  add('HITRANS', fixed('input.transfer.high', 'Volts'));
  add('ITEMP', fixed('ups.temperature', 'C'));
  add('BATTV', fixed('battery.voltage', 'Volts'));
  add('LINEFREQ', fixed('input.frequency', 'Hz'));
  add('STATFLAG', `0x${status.flags.toString(16).padStart(8, '0')}`);
  add('SERIALNO', v['ups.serial'] ?? v['device.serial']);
  add('BATTDATE', v['battery.mfr.date']);
  add('NOMINV', fixed('input.voltage.nominal', 'Volts', 1, 0));
  add('NOMBATTV', fixed('battery.voltage.nominal', 'Volts'));
  add('NOMPOWER', fixed('ups.realpower.nominal', 'Watts', 1, 0));
  add('FIRMWARE', v['ups.firmware']);
  const line = (k: string, value: string): string => `${k.padEnd(9)}: ${value}`;
  const lines = body.map(([k, value]) => line(k, value));
  const end = line('END APC', nisDate(now));
  // The header counts every record and byte of the report (newlines included), itself counted at its fixed width.
  const count = lines.length + 2;
  const header = (bytes: number): string => line('APC', `001,${pad(count, 3)},${pad(bytes, 4)}`);
  const bytes = [...lines, end].reduce((n, l) => n + Buffer.byteLength(l) + 1, 0) + header(0).length + 1;
  return [header(bytes), ...lines, end];
}

/** apcupsd's EVENTS lines: `<date>  <text>`, oldest first. */
export function nisEventLines(events: readonly UpsEvent[]): string[] {
  return [...events]
    .sort((a, b) => a.at - b.at || a.id - b.id)
    .map((e) => `${nisDate(e.at)}  ${e.message.replace(/[\r\n]+/g, ' ')}`);
}
