/**
 * CyberPower (0764, and Cyber Energy 0483:a430): voltage ranges copied from the transfer points, a battery
 * voltage that some 0501 units report 1.5x high, delays counted in minutes.
 */
import type { ParsedField, ParsedReportDescriptor } from '../../hid/report-descriptor.js';
import { usageCode } from '../../hid/usage-tables.js';
import { CPS_USAGES } from '../../hid/vendor-usages.js';
import { formatFixed } from '../format.js';
import { dateConversion, stringId, type VariableSpec } from '../variable-map.js';
import type { VendorProfile } from './profile.js';

const VOLTAGE_LOGMAX = 511;
const USAGE_VOLTAGE = usageCode('Voltage');
const USAGE_HVT = usageCode('HighVoltageTransfer');
/** Above this ratio of battery voltage to nominal, readings are scaled by 2/3 (NUT cps_adjust_battery_scale). */
const BATTERY_SANITY_RATIO = 1.4;

function fixVoltageRanges(desc: ParsedReportDescriptor): ParsedReportDescriptor {
  const changes = new Map<ParsedField, Partial<ParsedField>>();
  const hvt = desc.findByIdAndUsage(0x10, USAGE_HVT);
  const output = desc.findByIdAndUsage(0x12, USAGE_VOLTAGE);
  const input = desc.findByIdAndUsage(0x0f, USAGE_VOLTAGE);
  // Output.Voltage inherited HighVoltageTransfer's range, so a real 121 V would clamp to 136.
  if (hvt && output && hvt.logicalMin === output.logicalMin && hvt.logicalMax === output.logicalMax) {
    changes.set(output, { logicalMin: 0, logicalMax: VOLTAGE_LOGMAX });
    if (input && hvt.logicalMin === input.logicalMin && hvt.logicalMax === input.logicalMax) {
      changes.set(input, { logicalMin: 0, logicalMax: VOLTAGE_LOGMAX });
    }
  } else if (output && input && (output.logicalMaxAssumed === true || input.logicalMaxAssumed === true)) {
    // Mis-encoded maximums (NUT #1512): raise assumed ones to the CPS limit, align the two, cut to the bit size.
    let outMax = output.logicalMax;
    let inMax = input.logicalMax;
    if (output.logicalMaxAssumed === true && outMax < VOLTAGE_LOGMAX) outMax = VOLTAGE_LOGMAX;
    if (input.logicalMaxAssumed === true && inMax < VOLTAGE_LOGMAX) inMax = VOLTAGE_LOGMAX;
    if (output.logicalMaxAssumed === true && outMax < inMax) outMax = inMax;
    else if (input.logicalMaxAssumed === true && inMax < outMax) inMax = outMax;
    if (input.logicalMaxAssumed === true && input.size > 1) inMax = Math.min(inMax, 2 ** input.size - 1);
    if (output.logicalMaxAssumed === true && output.size > 1) outMax = Math.min(outMax, 2 ** output.size - 1);
    if (inMax !== input.logicalMax) changes.set(input, { logicalMax: inMax });
    if (outMax !== output.logicalMax) changes.set(output, { logicalMax: outMax });
  }
  const power = desc.find('UPS.Output.ConfigActivePower', 'feature');
  if (power && power.logicalMax < 2048) changes.set(power, { logicalMax: 2048 });
  if (changes.size === 0) return desc;
  return desc.withFields((f) => {
    const c = changes.get(f);
    return c ? { ...f, ...c } : f;
  });
}

/** Some units report frequency in tenths of a hertz; NUT detects it by magnitude. */
const frequency = (v: number): string => formatFixed(v > 100 ? v / 10 : v, 1);

function variables(productId: number): () => VariableSpec[] {
  return () => {
    let scale: number | undefined;
    const battVolt: VariableSpec['format'] = (v, ctx) => {
      if (productId === 0x0501 && scale === undefined) {
        const nominal = Number(ctx.variables['battery.voltage.nominal']);
        if (Number.isFinite(nominal) && nominal !== 0) scale = v / nominal > BATTERY_SANITY_RATIO ? 2 / 3 : 1;
      }
      return formatFixed((scale ?? 1) * v, 1);
    };
    return [
      {
        name: 'battery.charge',
        path: 'UPS.PowerSummary.RemainingCapacity',
        format: (v) => formatFixed(Math.min(v, 100), 0),
        quick: true,
      },
      { name: 'battery.voltage.nominal', path: 'UPS.PowerSummary.ConfigVoltage', format: '%.0f' },
      { name: 'battery.voltage', path: 'UPS.PowerSummary.Voltage', format: battVolt },
      { name: 'battery.mfr.date', path: 'UPS.Battery.ManufacturerDate', format: dateConversion, raw: true },
      { name: 'battery.mfr.date', path: 'UPS.PowerSummary.iOEMInformation', format: stringId, raw: true },
      { name: 'ups.firmware', path: 'UPS.PowerSummary.CPSFirmwareVersion', format: stringId, raw: true },
      { name: 'input.frequency', path: 'UPS.Input.Frequency', format: frequency },
      { name: 'output.frequency', path: 'UPS.Output.Frequency', format: frequency },
    ];
  };
}

export const cyberpowerProfile: VendorProfile = {
  name: 'cyberpower',
  subdriver: 'CyberPower HID 0.6',
  matches: (d) => d.vendorId === 0x0764 || (d.vendorId === 0x0483 && d.productId === 0xa430),
  usageNames: CPS_USAGES,
  fixDescriptor: (desc, device) =>
    device.vendorId === 0x0764 && (device.productId === 0x0501 || device.productId === 0x0601)
      ? fixVoltageRanges(desc)
      : desc,
  variables: () => [],
  status: [
    { path: 'UPS.Output.Boost', lookup: { 1: 'boost', 0: '!boost' } },
    { path: 'UPS.Output.Overload', lookup: { 1: 'overload', 0: '!overload' } },
  ],
  delays: { off: 60, on: 120 },
  delayMinutes: true,
  defaultMfr: 'CPS',
};

/** The CyberPower profile for one device: the battery-scale check applies to 0764:0501 only. */
export function cyberpowerFor(productId: number): VendorProfile {
  return { ...cyberpowerProfile, variables: variables(productId) };
}
