/** APC (051d): vendor page 0xFF86, hex-as-decimal dates, APCStatusFlag, Back-UPS descriptor fixes. */
import { APC_USAGES } from '../../hid/vendor-usages.js';
import { apcDate } from '../format.js';
import { dateConversion, type VariableSpec } from '../variable-map.js';
import type { VendorProfile } from './profile.js';

const GC = 'UPS.APCGeneralCollection';

const variables = (): VariableSpec[] => [
  { name: 'battery.runtime', path: 'UPS.Battery.RunTimeToEmpty', format: '%.0f', quick: true },
  { name: 'battery.runtime.low', path: 'UPS.Battery.RemainingTimeLimit', format: '%.0f' },
  { name: 'battery.voltage', path: 'UPS.Battery.Voltage', format: '%.1f' },
  { name: 'battery.voltage', path: 'UPS.PowerSummary.Voltage', format: '%.1f' },
  { name: 'battery.voltage.nominal', path: 'UPS.Battery.ConfigVoltage', format: '%.1f' },
  { name: 'battery.voltage.nominal', path: 'UPS.PowerSummary.ConfigVoltage', format: '%.1f' },
  { name: 'battery.mfr.date', path: 'UPS.Battery.ManufacturerDate', format: dateConversion },
  { name: 'battery.mfr.date', path: 'UPS.PowerSummary.APCBattReplaceDate', format: (v) => apcDate(v) },
  { name: 'battery.date', path: 'UPS.Battery.APCBattReplaceDate', format: (v) => apcDate(v) },
  { name: 'ups.mfr.date', path: 'UPS.ManufacturerDate', format: dateConversion },
  { name: 'ups.mfr.date', path: 'UPS.PowerSummary.ManufacturerDate', format: dateConversion },
  { name: 'ups.load', path: 'UPS.Output.PercentLoad', format: '%.1f' },
  { name: 'input.transfer.low', path: 'UPS.Output.LowVoltageTransfer', format: '%.0f' },
  { name: 'input.transfer.high', path: 'UPS.Output.HighVoltageTransfer', format: '%.0f' },
  { name: 'output.voltage.nominal', path: 'UPS.Output.ConfigVoltage', format: '%.1f' },
  { name: 'ups.timer.start', path: `${GC}.APCDelayBeforeStartup`, format: '%.0f', quick: true },
  { name: 'ups.timer.shutdown', path: `${GC}.APCDelayBeforeShutdown`, format: '%.0f', quick: true },
  { name: 'ups.timer.reboot', path: 'UPS.PowerSummary.DelayBeforeReboot', format: '%.0f', quick: true },
  { name: 'ups.timer.reboot', path: 'UPS.Output.DelayBeforeReboot', format: '%.0f', quick: true },
  { name: 'ups.timer.reboot', path: `${GC}.APCDelayBeforeReboot`, format: '%.0f', quick: true },
];

export const apcProfile: VendorProfile = {
  name: 'apc',
  subdriver: 'APC HID 0.98',
  matches: (d) => d.vendorId === 0x051d,
  usageNames: APC_USAGES,
  variables,
  status: [
    // Determined empirically by NUT on a Back-UPS LS 500: 8 normal, 16 briefly at power-on, 0 off.
    { path: 'UPS.PowerSummary.APCStatusFlag', lookup: { 8: '!off', 16: '!off', 0: 'off' } },
    {
      path: 'UPS.Input.APCLineFailCause',
      lookup: { 1: 'vrange', 2: 'vrange', 4: 'vrange', 8: 'vrange', 9: 'vrange', 0: '!vrange' },
    },
  ],
  delays: { off: 20, on: 30 },
  delayPaths: { shutdown: [`${GC}.APCDelayBeforeShutdown`], startup: [`${GC}.APCDelayBeforeStartup`] },
  nativeReturnPaths: ['UPS.Output.APCDelayBeforeReboot', `${GC}.APCDelayBeforeReboot`],
  defaultMfr: 'APC',
  fixDescriptor: (desc, device) => {
    if (device.productId !== 0x0002) return desc;
    // Back-UPS (051d:0002): Input.Voltage's range is narrower than the transfer point it must exceed.
    const hvt = desc.find('UPS.Input.HighVoltageTransfer', 'feature');
    const volt = desc.find('UPS.Input.Voltage', 'feature');
    const nominal = desc.find('UPS.Input.ConfigVoltage', 'feature');
    if (!hvt || !volt || hvt.logicalMax <= volt.logicalMax) return desc;
    return desc.withFields((f) => {
      if (f === volt) return { ...f, logicalMin: 0, logicalMax: hvt.logicalMax * 2 };
      if (f === nominal && f.logicalMax < 255) return { ...f, logicalMax: 255 };
      return f;
    });
  },
  identity: ({ device, indexString }) => {
    const product = device.product ?? indexString('UPS.PowerSummary.iProduct');
    if (product === undefined) return {};
    // "Back-UPS 500 FW: 6.5.I USB FW: c1 " -> model, firmware, firmware.aux (NUT apc_format_model).
    const out: Record<string, string> = {};
    const fw = product.indexOf('FW:');
    if (fw < 0) return { 'ups.model': product };
    out['ups.model'] = product.slice(0, Math.max(0, fw - 1));
    let rest = product.slice(fw + 3);
    const usb = rest.indexOf('USB FW:');
    if (usb >= 0) {
      out['ups.firmware.aux'] = rest.slice(usb + 7);
      rest = rest.slice(0, Math.max(0, usb - 1));
    }
    out['ups.firmware'] = rest;
    return out;
  },
};
