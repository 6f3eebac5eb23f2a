import type { HidField, ReportDescriptor } from '../hid/types.js';
import { APC_USAGES, usageCode } from '../hid/usage-tables.js';

/**
 * Which descriptor fields the simulator drives, found by usage (and path where one usage means several things,
 * such as Voltage). Every matching field is driven, Input and Feature alike, because devices expose both. The codes
 * come from the usage tables by name, once, at load: a misspelt name throws there.
 */
const U = {
  remainingCapacity: usageCode('RemainingCapacity'),
  runTimeToEmpty: usageCode('RunTimeToEmpty'),
  remainingCapacityLimit: usageCode('RemainingCapacityLimit'),
  remainingTimeLimit: usageCode('RemainingTimeLimit'),
  acPresent: usageCode('ACPresent'),
  charging: usageCode('Charging'),
  discharging: usageCode('Discharging'),
  fullyCharged: usageCode('FullyCharged'),
  fullyDischarged: usageCode('FullyDischarged'),
  belowRemainingCapacityLimit: usageCode('BelowRemainingCapacityLimit'),
  remainingTimeLimitExpired: usageCode('RemainingTimeLimitExpired'),
  needReplacement: usageCode('NeedReplacement'),
  voltage: usageCode('Voltage'),
  configVoltage: usageCode('ConfigVoltage'),
  percentLoad: usageCode('PercentLoad'),
  good: usageCode('Good'),
  overload: usageCode('Overload'),
  shutdownImminent: usageCode('ShutdownImminent'),
  delayBeforeReboot: usageCode('DelayBeforeReboot'),
  delayBeforeStartup: usageCode('DelayBeforeStartup'),
  delayBeforeShutdown: usageCode('DelayBeforeShutdown'),
  test: usageCode('Test'),
  apcStatusFlag: usageCode('APCStatusFlag', APC_USAGES),
  apcDelayBeforeReboot: usageCode('APCDelayBeforeReboot', APC_USAGES),
} as const;

export const simUsage = U;

export interface FieldRoles {
  charge: HidField[];
  runtime: HidField[];
  chargeLimit: HidField[];
  runtimeLimit: HidField[];
  acPresent: HidField[];
  charging: HidField[];
  discharging: HidField[];
  fullyCharged: HidField[];
  fullyDischarged: HidField[];
  belowLimit: HidField[];
  timeLimitExpired: HidField[];
  needReplacement: HidField[];
  good: HidField[];
  overload: HidField[];
  shutdownImminent: HidField[];
  batteryVoltage: HidField[];
  batteryNominal: HidField[];
  inputVoltage: HidField[];
  outputVoltage: HidField[];
  load: HidField[];
  delayShutdown: HidField[];
  delayStartup: HidField[];
  delayReboot: HidField[];
  test: HidField[];
  apcStatusFlag: HidField[];
  apcDelayBeforeReboot: HidField[];
}

const batteryScope = /\.(PowerSummary|Battery)\.[^.]+$/;

export function findFieldRoles(descriptor: ReportDescriptor): FieldRoles {
  const by = (usage: number, pathTest?: RegExp): HidField[] =>
    descriptor.fields.filter((f) => f.usage === usage && (pathTest === undefined || pathTest.test(f.path)));
  return {
    charge: by(U.remainingCapacity),
    runtime: by(U.runTimeToEmpty),
    chargeLimit: by(U.remainingCapacityLimit),
    runtimeLimit: by(U.remainingTimeLimit),
    acPresent: by(U.acPresent),
    charging: by(U.charging),
    discharging: by(U.discharging),
    fullyCharged: by(U.fullyCharged),
    fullyDischarged: by(U.fullyDischarged),
    belowLimit: by(U.belowRemainingCapacityLimit),
    timeLimitExpired: by(U.remainingTimeLimitExpired),
    needReplacement: by(U.needReplacement),
    good: by(U.good, /PowerSummary\.PresentStatus\.Good$/),
    overload: by(U.overload),
    shutdownImminent: by(U.shutdownImminent),
    batteryVoltage: by(U.voltage, batteryScope),
    batteryNominal: by(U.configVoltage, batteryScope),
    inputVoltage: by(U.voltage, /\.Input(\.\[\d+\])?\.Voltage$/),
    outputVoltage: by(U.voltage, /\.Output\.Voltage$/),
    load: by(U.percentLoad),
    delayShutdown: by(U.delayBeforeShutdown),
    delayStartup: by(U.delayBeforeStartup),
    delayReboot: by(U.delayBeforeReboot),
    test: by(U.test),
    apcStatusFlag: by(U.apcStatusFlag),
    apcDelayBeforeReboot: by(U.apcDelayBeforeReboot),
  };
}
