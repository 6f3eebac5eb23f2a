/**
 * mge-hid's outlet groups and start-up switches (NUT 2.8.0, MGE HID 1.46). NUT numbers outlets from the main one:
 * the HID collection Outlet.[1] is `outlet.*`, Outlet.[n+1] is `outlet.n.*` (PowerShare groups).
 */
import { lookup, type VariableSpec } from '../variable-map.js';
import type { DriverSideSpec, WritableSpec } from '../writable.js';

const OUTLET = 'UPS.OutletSystem.Outlet';
const YES_NO = { 0: 'no', 1: 'yes' } as const;
const ON_OFF = { 0: 'off', 1: 'on' } as const;
/** NUT's yes_no_info read backwards, for the RW switches. */
const YES_NO_WORDS = { no: 0, yes: 1 } as const;

const yesNo = (name: string, path: string): VariableSpec => ({ name, path, format: lookup(YES_NO), raw: true });
const number = (name: string, path: string, format = '%.0f'): VariableSpec => ({ name, path, format });

/** What the main outlet and each group publish; `prefix` is `outlet` or `outlet.n`. */
function readings(prefix: string, hid: string): VariableSpec[] {
  return [
    number(`${prefix}.power`, `${hid}.ApparentPower`),
    number(`${prefix}.realpower`, `${hid}.ActivePower`),
    number(`${prefix}.current`, `${hid}.Current`, '%.2f'),
    number(`${prefix}.powerfactor`, `${hid}.PowerFactor`, '%.2f'),
  ];
}

function group(n: 1 | 2): VariableSpec[] {
  const hid = `${OUTLET}.[${n + 1}]`;
  const p = `outlet.${n}`;
  return [
    { ...number(`${p}.id`, `${hid}.OutletID`), raw: true },
    yesNo(`${p}.switchable`, `${hid}.PresentStatus.Switchable`),
    { name: `${p}.status`, path: `${hid}.PresentStatus.SwitchOn/Off`, format: lookup(ON_OFF), raw: true },
    number(`${p}.autoswitch.charge.low`, `${hid}.RemainingCapacityLimit`),
    number(`${p}.delay.shutdown`, `${hid}.ShutdownTimer`),
    number(`${p}.delay.start`, `${hid}.StartupTimer`),
    ...readings(p, hid),
  ];
}

export const mgeOutletVariables = (): VariableSpec[] => [
  { ...number('outlet.id', `${OUTLET}.[1].OutletID`), raw: true },
  yesNo('outlet.switchable', `${OUTLET}.[1].PresentStatus.Switchable`),
  ...readings('outlet', `${OUTLET}.[1]`),
  ...group(1),
  // Low-end units (the 5E) have no outlet group: their one non-backed-up outlet follows the mains.
  { name: 'outlet.1.status', path: 'UPS.PowerSummary.PresentStatus.ACPresent', format: lookup(ON_OFF), raw: true },
  ...group(2),
  yesNo('ups.start.auto', 'UPS.PowerConverter.Input.[1].AutomaticRestart'),
  yesNo('ups.start.battery', 'UPS.PowerConverter.Input.[3].StartOnBattery'),
  yesNo('ups.start.reboot', 'UPS.PowerConverter.Output.ForcedReboot'),
];

export const MGE_OUTLET_WRITABLE: readonly WritableSpec[] = [
  ...([1, 2] as const).flatMap((n): WritableSpec[] => [
    { name: `outlet.${n}.autoswitch.charge.low`, length: 3 },
    { name: `outlet.${n}.delay.shutdown`, length: 5 },
    { name: `outlet.${n}.delay.start`, length: 5 },
  ]),
  { name: 'ups.start.auto', length: 5, words: YES_NO_WORDS },
  { name: 'ups.start.battery', length: 5, words: YES_NO_WORDS },
  { name: 'ups.start.reboot', length: 5, words: YES_NO_WORDS },
];

/** NUT names the outlets itself once their ID field exists; a client may rename them (kept by the driver). */
export const MGE_OUTLET_NAMES: readonly DriverSideSpec[] = [
  { name: 'outlet.desc', path: `${OUTLET}.[1].OutletID`, value: 'Main Outlet', length: 20 },
  { name: 'outlet.1.desc', path: `${OUTLET}.[2].OutletID`, value: 'PowerShare Outlet 1', length: 20 },
  { name: 'outlet.2.desc', path: `${OUTLET}.[3].OutletID`, value: 'PowerShare Outlet 2', length: 20 },
];
