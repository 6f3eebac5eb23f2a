/**
 * HID paths to NUT variables. For each variable the first candidate whose field exists and reads a value wins,
 * as in NUT's hid2nut tables; a vendor's own entries are placed before these generic ones.
 */
import { BEEPER_STATUS, TEST_RESULT, formatPrintf, kelvinToCelsius, pdcDate } from './format.js';
import type { StringLookup } from './types.js';

export interface ConvertContext {
  readonly strings: StringLookup | undefined;
  /** Variables decided so far in this decode (vendor conversions may depend on a nominal value). */
  readonly variables: Readonly<Record<string, string>>;
}

/** Returns the NUT text, or undefined when the value has no meaning (NUT then tries the next candidate). */
export type Converter = (value: number, ctx: ConvertContext) => string | undefined;

export interface VariableSpec {
  readonly name: string;
  readonly path: string;
  /** printf format ("%.0f", "%.1f", "%.2f") or a converter. */
  readonly format: string | Converter;
  /** Quick: status-like values re-read every loop (charge, runtime, timers). */
  readonly quick?: boolean;
  /**
   * Use the logical value, without units: string indexes, enums and dates. NUT applies inherited units to them
   * too (an APC iManufacturer index 3 reads 0.03), which would lose the string.
   */
  readonly raw?: boolean;
}

export const stringId: Converter = (value, ctx) => {
  const s = ctx.strings?.(Math.trunc(value));
  return s === undefined || s === '' ? undefined : s;
};
export const lookup =
  (table: Readonly<Record<number, string>>): Converter =>
  (value) =>
    table[Math.trunc(value)];
export const dateConversion: Converter = (value) => pdcDate(value);
export const kelvin: Converter = (value) => kelvinToCelsius(value);

function specs(name: string, paths: readonly string[], format: string | Converter, quick = false): VariableSpec[] {
  const raw = typeof format !== 'string' && format !== kelvin;
  return paths.map((path) => ({ name, path, format, quick, raw }));
}

const DELAY_ROOTS = ['UPS.PowerSummary', 'UPS.Output', 'UPS.OutletSystem.Outlet'];

export const GENERIC_VARIABLES: readonly VariableSpec[] = [
  ...specs(
    'battery.charge',
    [
      'UPS.PowerSummary.RemainingCapacity',
      'UPS.Battery.RemainingCapacity',
      'UPS.BatterySystem.Battery.RemainingCapacity',
    ],
    '%.0f',
    true,
  ),
  ...specs(
    'battery.charge.low',
    ['UPS.PowerSummary.RemainingCapacityLimit', 'UPS.Battery.RemainingCapacityLimit'],
    '%.0f',
  ),
  ...specs(
    'battery.charge.warning',
    ['UPS.PowerSummary.WarningCapacityLimit', 'UPS.Battery.WarningCapacityLimit'],
    '%.0f',
  ),
  ...specs(
    'battery.runtime',
    ['UPS.PowerSummary.RunTimeToEmpty', 'UPS.Battery.RunTimeToEmpty', 'UPS.BatterySystem.Battery.RunTimeToEmpty'],
    '%.0f',
    true,
  ),
  ...specs('battery.runtime.low', ['UPS.PowerSummary.RemainingTimeLimit', 'UPS.Battery.RemainingTimeLimit'], '%.0f'),
  ...specs(
    'battery.voltage',
    [
      'UPS.PowerSummary.Voltage',
      'UPS.Battery.Voltage',
      'UPS.BatterySystem.Battery.Voltage',
      'UPS.BatterySystem.Voltage',
    ],
    '%.1f',
  ),
  ...specs(
    'battery.voltage.nominal',
    [
      'UPS.PowerSummary.ConfigVoltage',
      'UPS.Battery.ConfigVoltage',
      'UPS.BatterySystem.Battery.ConfigVoltage',
      'UPS.BatterySystem.ConfigVoltage',
    ],
    '%.0f',
  ),
  ...specs('battery.type', ['UPS.PowerSummary.iDeviceChemistry', 'UPS.Battery.iDeviceChemistry'], stringId),
  ...specs('battery.mfr.date', ['UPS.Battery.ManufacturerDate', 'UPS.PowerSummary.ManufacturerDate'], dateConversion),
  ...specs('battery.temperature', ['UPS.Battery.Temperature', 'UPS.BatterySystem.Battery.Temperature'], kelvin),
  ...specs(
    'input.voltage',
    ['UPS.Input.Voltage', 'UPS.PowerConverter.Input.[1].Voltage', 'UPS.PowerConverter.Input.Voltage'],
    '%.1f',
  ),
  ...specs(
    'input.voltage.nominal',
    ['UPS.Input.ConfigVoltage', 'UPS.Flow.[1].ConfigVoltage', 'UPS.PowerSummary.Input.ConfigVoltage'],
    '%.0f',
  ),
  ...specs(
    'input.frequency',
    ['UPS.Input.Frequency', 'UPS.PowerConverter.Input.[1].Frequency', 'UPS.PowerConverter.Input.Frequency'],
    '%.1f',
  ),
  ...specs(
    'input.transfer.low',
    ['UPS.Input.LowVoltageTransfer', 'UPS.Output.LowVoltageTransfer', 'UPS.PowerConverter.Output.LowVoltageTransfer'],
    '%.0f',
  ),
  ...specs(
    'input.transfer.high',
    [
      'UPS.Input.HighVoltageTransfer',
      'UPS.Output.HighVoltageTransfer',
      'UPS.PowerConverter.Output.HighVoltageTransfer',
    ],
    '%.0f',
  ),
  ...specs('output.voltage', ['UPS.Output.Voltage', 'UPS.PowerConverter.Output.Voltage'], '%.1f'),
  ...specs(
    'output.voltage.nominal',
    ['UPS.Output.ConfigVoltage', 'UPS.Flow.[4].ConfigVoltage', 'UPS.Flow.ConfigVoltage'],
    '%.0f',
  ),
  ...specs('output.frequency', ['UPS.Output.Frequency', 'UPS.PowerConverter.Output.Frequency'], '%.1f'),
  ...specs(
    'ups.load',
    ['UPS.Output.PercentLoad', 'UPS.PowerConverter.PercentLoad', 'UPS.PowerSummary.PercentLoad'],
    '%.0f',
  ),
  ...specs(
    'ups.power.nominal',
    [
      'UPS.Output.ConfigApparentPower',
      'UPS.PowerSummary.ConfigApparentPower',
      'UPS.Flow.[4].ConfigApparentPower',
      'UPS.Flow.ConfigApparentPower',
    ],
    '%.0f',
  ),
  ...specs(
    'ups.realpower.nominal',
    [
      'UPS.Output.ConfigActivePower',
      'UPS.PowerConverter.ConfigActivePower',
      'UPS.PowerSummary.ConfigActivePower',
      'UPS.Flow.[4].ConfigActivePower',
    ],
    '%.0f',
  ),
  ...specs('ups.temperature', ['UPS.PowerSummary.Temperature'], kelvin),
  ...specs(
    'ups.test.result',
    ['UPS.Battery.Test', 'UPS.BatterySystem.Battery.Test', 'UPS.Output.Test', 'UPS.BatterySystem.Test'],
    lookup(TEST_RESULT),
  ),
  ...specs(
    'ups.beeper.status',
    [
      'UPS.BatterySystem.Battery.AudibleAlarmControl',
      'UPS.PowerSummary.AudibleAlarmControl',
      'UPS.AudibleAlarmControl',
    ],
    lookup(BEEPER_STATUS),
  ),
  ...specs(
    'ups.timer.shutdown',
    DELAY_ROOTS.map((r) => `${r}.DelayBeforeShutdown`),
    '%.0f',
    true,
  ),
  ...specs(
    'ups.timer.start',
    DELAY_ROOTS.map((r) => `${r}.DelayBeforeStartup`),
    '%.0f',
    true,
  ),
  ...specs(
    'ups.timer.reboot',
    DELAY_ROOTS.map((r) => `${r}.DelayBeforeReboot`),
    '%.0f',
    true,
  ),
];

/** Paths of the load-off/on delay fields, in NUT's preference order (APC Back-UPS ES adds its own). */
export const SHUTDOWN_DELAY_PATHS = DELAY_ROOTS.map((r) => `${r}.DelayBeforeShutdown`);
export const STARTUP_DELAY_PATHS = DELAY_ROOTS.map((r) => `${r}.DelayBeforeStartup`);
export const REBOOT_DELAY_PATHS = DELAY_ROOTS.map((r) => `${r}.DelayBeforeReboot`);
/** Tripp Lite's watchdog (0xffff0092, TLWatchdog in NUT's table; unnamed where our usage table lacks it). */
export const TL_WATCHDOG_PATHS = ['UPS.OutletSystem.Outlet.TLWatchdog', 'UPS.OutletSystem.Outlet.ffff0092'];
export const TEST_PATHS = [
  'UPS.BatterySystem.Battery.Test',
  'UPS.Battery.Test',
  'UPS.Output.Test',
  'UPS.BatterySystem.Test',
];
export const BEEPER_PATHS = [
  'UPS.PowerSummary.AudibleAlarmControl',
  'UPS.BatterySystem.Battery.AudibleAlarmControl',
  'UPS.AudibleAlarmControl',
];

export function formatWith(format: string | Converter, value: number, ctx: ConvertContext): string | undefined {
  return typeof format === 'string' ? formatPrintf(format, value) : format(value, ctx);
}
