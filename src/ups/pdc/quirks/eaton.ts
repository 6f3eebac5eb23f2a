/**
 * Eaton / MGE (0463 and the OEMs that ship its firmware): page 0xFFFF names, indexed collections, power
 * converter inputs [1] mains, [2] bypass, [3] battery, [4] manual bypass.
 */
import { MGE_USAGES } from '../../hid/vendor-usages.js';
import { inverted, on } from '../status.js';
import { stringId, type VariableSpec } from '../variable-map.js';
import { MGE_OUTLET_NAMES, MGE_OUTLET_WRITABLE, mgeOutletVariables } from './mge-outlets.js';
import type { VendorProfile } from './profile.js';

const MGE_IDS: readonly (readonly [number, number])[] = [
  [0x0463, 0x0001],
  [0x0463, 0xffff],
  [0x047c, 0xffff],
  [0x0592, 0x0004],
  [0x03f0, 0x1fe5],
  [0x03f0, 0x1fe6],
  [0x03f0, 0x1fe7],
  [0x03f0, 0x1fe8],
  [0x2b2d, 0xffff],
  [0x04b3, 0x0001],
  [0x09d6, 0x0001],
];

const IN = 'UPS.PowerConverter.Input';

const variables = (): VariableSpec[] => [
  { name: 'battery.charge.low', path: 'UPS.PowerSummary.RemainingCapacityLimitSetting', format: '%.0f' },
  { name: 'battery.voltage', path: 'UPS.BatterySystem.Voltage', format: '%.1f' },
  { name: 'battery.voltage.nominal', path: 'UPS.BatterySystem.ConfigVoltage', format: '%.0f' },
  { name: 'ups.firmware', path: 'UPS.PowerSummary.iVersion', format: stringId, raw: true },
  { name: 'ups.load', path: 'UPS.PowerSummary.PercentLoad', format: '%.0f' },
  { name: 'input.voltage', path: `${IN}.[1].Voltage`, format: '%.1f' },
  { name: 'input.frequency', path: `${IN}.[1].Frequency`, format: '%.1f' },
  { name: 'input.voltage.nominal', path: 'UPS.Flow.[1].ConfigVoltage', format: '%.0f' },
  { name: 'output.frequency.nominal', path: 'UPS.Flow.[4].ConfigFrequency', format: '%.0f' },
  ...mgeOutletVariables(),
];

export const eatonProfile: VendorProfile = {
  name: 'eaton',
  subdriver: 'MGE HID 1.46',
  // mge-hid offers the output voltage as a choice.
  writable: [
    { name: 'output.voltage.nominal', length: 5, enum: ['200', '208', '220', '230', '240'] },
    ...MGE_OUTLET_WRITABLE,
  ],
  driverSide: MGE_OUTLET_NAMES,
  matches: (d) => MGE_IDS.some(([v, p]) => d.vendorId === v && d.productId === p),
  usageNames: MGE_USAGES,
  variables,
  status: [
    { path: `${IN}.[3].PresentStatus.Used`, lookup: { 1: '!online', 0: 'online' } },
    { path: 'UPS.PowerConverter.Output.Overload.[1].PresentStatus.OverThreshold', lookup: on('overload') },
    { path: 'UPS.PowerConverter.Output.Overload.[2].PresentStatus.OverThreshold', lookup: on('overload') },
    { path: 'UPS.LCMSystem.LCMAlarm.[2].PresentStatus.TimerExpired', lookup: on('replacebatt') },
    { path: `${IN}.[1].PresentStatus.Buck`, lookup: on('trim') },
    { path: `${IN}.[1].PresentStatus.Boost`, lookup: on('boost') },
    { path: `${IN}.[1].PresentStatus.VoltageOutOfRange`, lookup: on('vrange') },
    { path: `${IN}.[1].PresentStatus.FrequencyOutOfRange`, lookup: on('frange') },
    // Good must come before Input.[1].Used: the converter's "online" only counts while the UPS is not off.
    { path: 'UPS.PowerSummary.PresentStatus.Good', lookup: inverted('off') },
    { path: `${IN}.[1].PresentStatus.Used`, lookup: on('online'), unlessOff: true },
    { path: `${IN}.[2].PresentStatus.Used`, lookup: on('bypassauto') },
    { path: `${IN}.[4].PresentStatus.Used`, lookup: on('bypassman') },
    { path: 'UPS.BatterySystem.Battery.PresentStatus.Present', lookup: inverted('nobattery') },
    { path: 'UPS.PowerSummary.PresentStatus.InternalFailure', lookup: on('commfault') },
    { path: 'UPS.PowerSummary.PresentStatus.OverTemperature', lookup: on('overheat') },
    { path: 'UPS.PowerSummary.PresentStatus.FanFailure', lookup: on('fanfail') },
  ],
  delays: { off: 20, on: 30 },
  defaultMfr: 'Eaton',
  identity: ({ device, indexString }): Record<string, string> => {
    // MGE names the model "<iProduct> <iModel>" (e.g. "5E 1100i") from the PowerSummary strings.
    const product = indexString('UPS.PowerSummary.iProduct') ?? device.product;
    const model = indexString('UPS.PowerSummary.iModel');
    if (product === undefined) return {};
    return { 'ups.model': model === undefined ? product : `${product} ${model}` };
  },
};
