/** Tripp Lite (09ae, HP 03f0:0001/1fe0/1fe1): four status usages on the wrong page, converter status bits. */
import { TRIPPLITE_USAGES } from '../../hid/vendor-usages.js';
import { TEST_RESULT } from '../format.js';
import { on } from '../status.js';
import { TL_WATCHDOG_PATHS, lookup } from '../variable-map.js';
import type { VendorProfile } from './profile.js';

const PS = 'UPS.PowerSummary.PresentStatus';
const PC = 'UPS.PowerConverter.PresentStatus';

export const tripliteProfile: VendorProfile = {
  name: 'tripplite',
  subdriver: 'TrippLite HID 0.85',
  matches: (d) => d.vendorId === 0x09ae || (d.vendorId === 0x03f0 && [0x0001, 0x1fe0, 0x1fe1].includes(d.productId)),
  usageNames: TRIPPLITE_USAGES,
  variables: () => [
    { name: 'battery.voltage', path: 'UPS.BatterySystem.Battery.Voltage', format: '%.1f' },
    { name: 'battery.voltage.nominal', path: 'UPS.BatterySystem.Battery.ConfigVoltage', format: '%.1f' },
    { name: 'input.voltage.nominal', path: 'UPS.PowerSummary.Input.ConfigVoltage', format: '%.0f' },
    { name: 'ups.test.result', path: 'UPS.BatterySystem.Test', format: lookup(TEST_RESULT), raw: true },
    // tripplite-hid 0.85 (NUT 2.8.0) reads these from the outlet and flow collections, not the PowerSummary.
    { name: 'ups.load', path: 'UPS.OutletSystem.Outlet.PercentLoad', format: '%.0f' },
    { name: 'ups.power', path: 'UPS.OutletSystem.Outlet.ActivePower', format: '%.1f' },
    { name: 'ups.power', path: 'UPS.PowerConverter.Output.ActivePower', format: '%.1f' },
    ...TL_WATCHDOG_PATHS.map((path) => ({ name: 'ups.watchdog.status', path, format: '%.0f' })),
    { name: 'output.voltage.nominal', path: 'UPS.Flow.ConfigVoltage', format: '%.0f' },
    { name: 'output.frequency.nominal', path: 'UPS.Flow.ConfigFrequency', format: '%.0f' },
  ],
  status: [
    { path: `${PC}.Overload`, lookup: on('overload') },
    { path: `${PC}.Boost`, lookup: on('boost') },
    { path: `${PC}.Buck`, lookup: on('trim') },
    { path: `${PC}.OverTemperature`, lookup: on('overheat') },
    { path: `${PC}.AwaitingPower`, lookup: on('awaitingpower') },
    { path: `${PC}.InternalFailure`, lookup: on('commfault') },
    { path: `${PC}.VoltageOutOfRange`, lookup: on('vrange') },
    { path: `${PS}.TLACPresent`, lookup: on('online') },
    { path: `${PS}.TLDischarging`, lookup: on('dischrg') },
    { path: `${PS}.TLCharging`, lookup: on('chrg') },
    { path: `${PS}.TLNeedReplacement`, lookup: on('replacebatt') },
  ],
  delays: { off: 20, on: 30 },
  defaultMfr: 'Tripp Lite',
};
