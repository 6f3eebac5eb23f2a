/**
 * Belkin (050d) and Liebert (10af) share firmware that names its usages on the reserved page 0x0086 and reports
 * voltages and frequencies in tenths. Phoenixtec (06da:ffff, NUT's "Phoenixtec/Liebert HID") is generic PDC
 * with a few vendor paths; MGE-style descriptors on 06da go to the Eaton profile instead.
 */
import { usageCode } from '../../hid/usage-tables.js';
import { BELKIN_USAGES, MGE_USAGES } from '../../hid/vendor-usages.js';
import { formatFixed } from '../format.js';
import { inverted, on } from '../status.js';
import type { VariableSpec } from '../variable-map.js';
import type { VendorProfile } from './profile.js';

/** MGE's page-0xFFFF Undefined usage: on its own it does not make a descriptor MGE-style. */
const MGE_UNDEFINED = usageCode('Undefined', MGE_USAGES);

const tenths = (v: number): string => formatFixed(v * 0.1, 1);

const belkinVariables = (): VariableSpec[] => [
  { name: 'input.voltage', path: 'UPS.BELKINPowerState.BELKINInput.BELKINVoltage', format: tenths },
  { name: 'input.voltage.nominal', path: 'UPS.BELKINConfig.BELKINConfigVoltage', format: '%.0f' },
  { name: 'input.transfer.low', path: 'UPS.BELKINConfig.BELKINLowVoltageTransfer', format: '%.0f' },
  { name: 'input.transfer.high', path: 'UPS.BELKINConfig.BELKINHighVoltageTransfer', format: '%.0f' },
  { name: 'output.voltage', path: 'UPS.BELKINPowerState.BELKINOutput.BELKINVoltage', format: tenths },
  { name: 'output.frequency', path: 'UPS.BELKINPowerState.BELKINOutput.BELKINFrequency', format: tenths },
  { name: 'ups.load', path: 'UPS.BELKINPowerState.BELKINOutput.BELKINPercentLoad', format: '%.0f' },
  { name: 'ups.timer.start', path: 'UPS.BELKINControls.BELKINDelayBeforeStartup', format: '%.0f', quick: true },
  { name: 'ups.timer.shutdown', path: 'UPS.BELKINControls.BELKINDelayBeforeShutdown', format: '%.0f', quick: true },
  { name: 'ups.timer.reboot', path: 'UPS.BELKINControls.BELKINDelayBeforeReboot', format: '%.0f', quick: true },
];

export const belkinProfile: VendorProfile = {
  name: 'belkin',
  subdriver: 'Belkin HID 0.18',
  matches: (d) => d.vendorId === 0x050d,
  usageNames: BELKIN_USAGES,
  variables: belkinVariables,
  delays: { off: 20, on: 30 },
  delayPaths: {
    shutdown: ['UPS.BELKINControls.BELKINDelayBeforeShutdown'],
    startup: ['UPS.BELKINControls.BELKINDelayBeforeStartup'],
  },
  defaultMfr: 'Belkin',
};

export const liebertProfile: VendorProfile = {
  ...belkinProfile,
  name: 'liebert',
  subdriver: 'Liebert HID 0.4',
  matches: (d) => d.vendorId === 0x10af,
  defaultMfr: 'Liebert',
};

export const phoenixtecProfile: VendorProfile = {
  name: 'phoenixtec',
  subdriver: 'Phoenixtec HID 0.1',
  matches: (d, desc) =>
    d.vendorId === 0x06da && !desc.fields.some((f) => MGE_USAGES.some(([u]) => u === f.usage && u !== MGE_UNDEFINED)),
  usageNames: [],
  variables: () => [
    { name: 'battery.voltage', path: 'UPS.PowerSummary.Voltage', format: '%.2f' },
    { name: 'input.frequency', path: 'UPS.PowerConverter.Input.[1].Frequency', format: '%.2f' },
    { name: 'output.frequency', path: 'UPS.PowerConverter.Output.Frequency', format: '%.2f' },
    { name: 'input.transfer.low', path: 'UPS.PowerConverter.Output.ffff0057', format: '%.0f' },
    { name: 'input.transfer.high', path: 'UPS.PowerConverter.Output.ffff0058', format: '%.0f' },
  ],
  status: [
    { path: 'UPS.PowerSummary.PresentStatus.Good', lookup: inverted('off') },
    { path: 'UPS.PowerSummary.PresentStatus.InternalFailure', lookup: on('commfault') },
    { path: 'UPS.PowerConverter.Input.[1].PresentStatus.Buck', lookup: on('trim') },
    { path: 'UPS.PowerConverter.Input.[1].PresentStatus.Boost', lookup: on('boost') },
  ],
  delays: { off: 20, on: 30 },
  defaultMfr: 'Liebert',
};
