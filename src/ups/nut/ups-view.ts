import type { UpsSnapshot } from '../events.js';
import type { UpsCommand, WritableVariable } from '../pdc/index.js';
import { COMMAND_DESCRIPTIONS, VARIABLE_DESCRIPTIONS } from './descriptions.js';
import type { NutErrorCode } from './protocol.js';

/** A UPS the server publishes: what the monitor knows of it, and the one way to send it a command. */
export interface NutServedUps {
  readonly name: string;
  readonly description?: string | undefined;
  snapshot(): UpsSnapshot;
  supportedCommands(): readonly UpsCommand[];
  command(cmd: UpsCommand, opts: { offDelay?: number; onDelay?: number }): Promise<void>;
  /** RW variables as the device's NUT driver publishes them (HID sources); absent: only the delays. */
  writableVariables?(): readonly WritableVariable[];
  /** Writes a device-backed RW variable. */
  setVariable?(name: string, value: string): Promise<void>;
  /** driver.* as the device's NUT driver would publish them; a NUT source brings its own in the snapshot. */
  driverVariables?(): Readonly<Record<string, string>>;
}

/** Driver-side delays the user may set with upsrw, as usbhid-ups publishes them (RW, STRING:10). */
export const RW_DELAYS = ['ups.delay.shutdown', 'ups.delay.start'] as const;
const RW_LENGTH = 10;

export function describeVariable(name: string): string {
  // upsd looks names up case-insensitively, and indexed ones (outlet.1.status) without their index (outlet.status).
  const n = name.toLowerCase();
  return VARIABLE_DESCRIPTIONS[n] ?? VARIABLE_DESCRIPTIONS[n.replace(/\.\d+\./, '.')] ?? 'Description unavailable';
}

export function describeCommand(name: string): string {
  return COMMAND_DESCRIPTIONS[name.toLowerCase()] ?? 'Description unavailable';
}

/** NUT's answer while the data cannot be served: never a guess at the UPS's state. */
export function availability(s: UpsSnapshot): NutErrorCode | null {
  if (s.comms === 'lost') return 'DATA-STALE';
  if (s.lastContactAt === 0 || s.comms === 'unknown') return 'DRIVER-NOT-CONNECTED';
  return null;
}

/**
 * The variables of one UPS as upsd would list them: the monitor's reading, the driver's own driver.* (unless the
 * reading brings them, as a NUT source does), ups.status with the FSD latch in front, and any delay set over the
 * protocol in place of the device's. Sorted by name, as upsd lists them.
 */
export function variablesOf(
  s: UpsSnapshot,
  fsd: boolean,
  delays: Readonly<Record<string, string>>,
  driver: Readonly<Record<string, string>> = {},
): Map<string, string> {
  const vars: Record<string, string> = { ...driver, ...s.variables };
  const status = s.status.join(' ');
  if (status !== '') vars['ups.status'] = status;
  if (fsd) vars['ups.status'] = vars['ups.status'] ? `FSD ${vars['ups.status']}` : 'FSD';
  for (const [k, v] of Object.entries(delays)) if (k in vars) vars[k] = v;
  return new Map(
    Object.keys(vars)
      .sort()
      .map((k) => [k, vars[k]!]),
  );
}

/** The variable's own name for a name given in any case (upsd compares names with strcasecmp). */
export function canonicalName(vars: ReadonlyMap<string, string>, name: string): string | undefined {
  if (vars.has(name)) return name;
  const lower = name.toLowerCase();
  for (const k of vars.keys()) if (k.toLowerCase() === lower) return k;
  return undefined;
}

/** The RW variables served for a UPS: those its driver publishes and that have a value now. */
export function writableOf(ups: NutServedUps, vars: ReadonlyMap<string, string>): WritableVariable[] {
  const declared = ups.writableVariables?.() ?? RW_DELAYS.map((name) => ({ name, length: RW_LENGTH }));
  // upsd lists RW variables in name order, as it keeps them.
  return declared.filter((w) => vars.has(w.name)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * upsd's GET TYPE: `RW`, `ENUM`, `RANGE` in that order, then `STRING:<n>` for a string variable. usbhid-ups gives
 * type flags only to its RW variables, so upsd calls every other one `NUMBER` (its fallback), whatever the value.
 */
export function typeOf(w: WritableVariable | undefined): string {
  if (!w) return 'NUMBER';
  return ['RW', w.enum ? 'ENUM' : '', w.range ? 'RANGE' : '', `STRING:${w.length}`].filter(Boolean).join(' ');
}

/** Validates a SET VAR value as upsd does before it reaches the driver: TOO-LONG, then ENUM, then RANGE. */
export function checkValue(w: WritableVariable, value: string): NutErrorCode | null {
  if (value.length > w.length) return 'TOO-LONG';
  if (w.enum && !w.enum.includes(value)) return 'INVALID-VALUE';
  // upsd reads a RANGE value with atoi(); a value that is not a number is refused here rather than read as 0.
  if (w.range) {
    if (!/^-?\d+(\.\d+)?$/.test(value)) return 'INVALID-VALUE';
    const n = Number(value);
    if (n < w.range.min || n > w.range.max) return 'INVALID-VALUE';
  }
  if ((RW_DELAYS as readonly string[]).includes(w.name) && (!/^\d+$/.test(value) || Number(value) > 86_400))
    return 'INVALID-VALUE';
  return null;
}

export function isDriverSide(name: string): boolean {
  return (RW_DELAYS as readonly string[]).includes(name);
}
