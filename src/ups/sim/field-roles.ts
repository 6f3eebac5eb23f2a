import type { HidField, ReportDescriptor } from '../hid/types.js';

/**
 * Which descriptor fields the simulator drives, found by usage (and path where one usage means several things,
 * such as Voltage). Every matching field is driven, Input and Feature alike, because devices expose both.
 */
const U = {
  remainingCapacity: 0x850066,
  runTimeToEmpty: 0x850068,
  remainingCapacityLimit: 0x850029,
  remainingTimeLimit: 0x85002a,
  acPresent: 0x8500d0,
  charging: 0x850044,
  discharging: 0x850045,
  fullyCharged: 0x850046,
  fullyDischarged: 0x850047,
  belowRemainingCapacityLimit: 0x850042,
  remainingTimeLimitExpired: 0x850043,
  needReplacement: 0x85004b,
  voltage: 0x840030,
  configVoltage: 0x840040,
  percentLoad: 0x840035,
  good: 0x840061,
  overload: 0x840065,
  shutdownImminent: 0x840069,
  delayBeforeReboot: 0x840055,
  delayBeforeStartup: 0x840056,
  delayBeforeShutdown: 0x840057,
  test: 0x840058,
  apcStatusFlag: 0xff860060,
  apcDelayBeforeReboot: 0xff86007c,
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
