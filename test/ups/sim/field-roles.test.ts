import { describe, expect, it } from 'vitest';
import { parseReportDescriptor } from '../../../src/ups/hid/descriptor-parser.js';
import { APC_USAGES, UsageNames } from '../../../src/ups/hid/usage-tables.js';
import { findFieldRoles, simUsage } from '../../../src/ups/sim/field-roles.js';
import { recordedDevices } from '../../../src/ups/sim/recorded-devices.js';
import { findRecordedDevice } from '../../../src/ups/sim/simulated-ups.js';

/** The codes the simulator drove when they were written out by hand: looking them up by name must not move them. */
const EXPECTED: Record<keyof typeof simUsage, readonly [name: string, code: number]> = {
  remainingCapacity: ['RemainingCapacity', 0x00850066],
  runTimeToEmpty: ['RunTimeToEmpty', 0x00850068],
  remainingCapacityLimit: ['RemainingCapacityLimit', 0x00850029],
  remainingTimeLimit: ['RemainingTimeLimit', 0x0085002a],
  acPresent: ['ACPresent', 0x008500d0],
  charging: ['Charging', 0x00850044],
  discharging: ['Discharging', 0x00850045],
  fullyCharged: ['FullyCharged', 0x00850046],
  fullyDischarged: ['FullyDischarged', 0x00850047],
  belowRemainingCapacityLimit: ['BelowRemainingCapacityLimit', 0x00850042],
  remainingTimeLimitExpired: ['RemainingTimeLimitExpired', 0x00850043],
  needReplacement: ['NeedReplacement', 0x0085004b],
  voltage: ['Voltage', 0x00840030],
  configVoltage: ['ConfigVoltage', 0x00840040],
  percentLoad: ['PercentLoad', 0x00840035],
  good: ['Good', 0x00840061],
  overload: ['Overload', 0x00840065],
  shutdownImminent: ['ShutdownImminent', 0x00840069],
  delayBeforeReboot: ['DelayBeforeReboot', 0x00840055],
  delayBeforeStartup: ['DelayBeforeStartup', 0x00840056],
  delayBeforeShutdown: ['DelayBeforeShutdown', 0x00840057],
  test: ['Test', 0x00840058],
  apcStatusFlag: ['APCStatusFlag', 0xff860060],
  apcDelayBeforeReboot: ['APCDelayBeforeReboot', 0xff86007c],
};

describe('simulator field roles', () => {
  it('takes every usage from the usage tables, by name, at the codes it always drove', () => {
    const names = new UsageNames(APC_USAGES);
    for (const [role, [name, code]] of Object.entries(EXPECTED)) {
      const got = simUsage[role as keyof typeof simUsage];
      expect(got, role).toBe(code);
      expect(names.nodeName(got), role).toBe(name);
    }
    expect(Object.keys(simUsage).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(recordedDevices.map((d) => d.name))('%s: every field a role drives carries that usage name', (name) => {
    const dev = findRecordedDevice(name);
    const desc = parseReportDescriptor(Uint8Array.from(Buffer.from(dev.descriptorHex.replace(/\s+/g, ''), 'hex')));
    const roles = findFieldRoles(desc);
    expect(roles.charge.length).toBeGreaterThan(0);
    expect(roles.acPresent.length).toBeGreaterThan(0);
    const leaf = (path: string): string => path.slice(path.lastIndexOf('.') + 1);
    for (const f of roles.charge) expect(leaf(f.path)).toBe('RemainingCapacity');
    for (const f of roles.runtime) expect(leaf(f.path)).toBe('RunTimeToEmpty');
    for (const f of roles.acPresent) expect(leaf(f.path)).toBe('ACPresent');
    for (const f of roles.delayShutdown) expect(leaf(f.path)).toBe('DelayBeforeShutdown');
    for (const f of [...roles.batteryVoltage, ...roles.inputVoltage, ...roles.outputVoltage])
      expect(leaf(f.path)).toBe('Voltage');
  });

  it('finds APC vendor fields on the APC recording', () => {
    const dev = findRecordedDevice('apc-back-ups-cs-500');
    const desc = parseReportDescriptor(Uint8Array.from(Buffer.from(dev.descriptorHex.replace(/\s+/g, ''), 'hex')));
    const roles = findFieldRoles(desc);
    expect(roles.apcStatusFlag.length).toBeGreaterThan(0);
    for (const f of roles.apcStatusFlag) expect(f.usage).toBe(0xff860060);
  });
});
