import { describe, expect, it } from 'vitest';
import { parseReportDescriptor } from '../../../src/ups/hid/descriptor-parser.js';
import { emptyReport, readLogical, writeValue } from '../../../src/ups/hid/report-codec.js';
import { createUpsModel, type CommandStep } from '../../../src/ups/pdc/index.js';
import {
  powercomShutdownCommand,
  powercomShutdownSeconds,
  powercomStartupSeconds,
} from '../../../src/ups/pdc/quirks/powercom.js';
import { descriptorBytes, hexToBytes } from '../hid/fixtures.js';

const describeSteps = (steps: CommandStep[]): string[] =>
  steps.map((s) => (s.kind === 'wait' ? `wait ${s.ms}` : `${s.field.path}=${s.value}`));

describe('command planning', () => {
  const cps = createUpsModel(descriptorBytes('cyberpower'), { vendorId: 0x0764, productId: 0x0501 });
  const eaton = createUpsModel(descriptorBytes('eaton'), { vendorId: 0x0463, productId: 0xffff });
  const apc = createUpsModel(descriptorBytes('apc'), { vendorId: 0x051d, productId: 0x0002 });

  it('CyberPower: delays in whole minutes (rounded up), start delay first, 125 ms apart', () => {
    const steps = cps.planCommand('shutdown.return', { offDelay: 90, onDelay: 180 });
    expect(describeSteps(steps)).toEqual([
      'UPS.Output.DelayBeforeStartup=180',
      'wait 125',
      'UPS.Output.DelayBeforeShutdown=120',
    ]);
    // On the wire: 180 s is 3 minutes, 120 s is 2.
    const field = steps[2]?.kind === 'write' ? steps[2].field : undefined;
    if (!field) throw new Error('no write');
    const r = emptyReport(cps.descriptor, 'feature', field.reportId);
    writeValue(field, r, 120);
    expect(readLogical(field, r)).toBe(2);
    expect(describeSteps(cps.planCommand('shutdown.return'))).toEqual([
      'UPS.Output.DelayBeforeStartup=120',
      'wait 125',
      'UPS.Output.DelayBeforeShutdown=60',
    ]);
  });

  it('refuses offdelay >= ondelay (also after minute rounding) with UPS_COMMAND_INVALID', () => {
    expect(() => eaton.planCommand('shutdown.return', { offDelay: 30, onDelay: 30 })).toThrow(
      expect.objectContaining({ code: 'UPS_COMMAND_INVALID' }) as Error,
    );
    expect(() => cps.planCommand('shutdown.return', { offDelay: 61, onDelay: 120 })).toThrow(
      expect.objectContaining({ code: 'UPS_COMMAND_INVALID' }) as Error,
    );
    expect(() => eaton.planCommand('load.off.delay', { offDelay: -5 })).toThrow(
      expect.objectContaining({ code: 'UPS_COMMAND_INVALID' }) as Error,
    );
  });

  it('Eaton: PowerSummary delays in seconds, stayoff and stop write -1', () => {
    expect(describeSteps(eaton.planCommand('shutdown.return', { offDelay: 20, onDelay: 30 }))).toEqual([
      'UPS.PowerSummary.DelayBeforeStartup=30',
      'wait 125',
      'UPS.PowerSummary.DelayBeforeShutdown=20',
    ]);
    expect(describeSteps(eaton.planCommand('shutdown.stayoff'))).toEqual([
      'UPS.PowerSummary.DelayBeforeStartup=-1',
      'wait 125',
      'UPS.PowerSummary.DelayBeforeShutdown=20',
    ]);
    expect(describeSteps(eaton.planCommand('shutdown.stop'))).toEqual(['UPS.PowerSummary.DelayBeforeShutdown=-1']);
    expect(describeSteps(eaton.planCommand('beeper.mute'))).toEqual(['UPS.PowerSummary.AudibleAlarmControl=3']);
  });

  it('APC Back-UPS CS: native shutdown.return only; others unsupported', () => {
    expect(describeSteps(apc.planCommand('shutdown.return'))).toEqual([
      'UPS.APCGeneralCollection.APCDelayBeforeReboot=1',
    ]);
    expect(() => apc.planCommand('load.off.delay')).toThrow(
      expect.objectContaining({ code: 'UPS_COMMAND_UNSUPPORTED' }) as Error,
    );
    expect(() => apc.planCommand('beeper.enable')).toThrow(
      expect.objectContaining({ code: 'UPS_COMMAND_UNSUPPORTED' }) as Error,
    );
  });

  it('CyberPower: test and beeper values', () => {
    expect(describeSteps(cps.planCommand('test.battery.start.quick'))).toEqual(['UPS.Output.Test=1']);
    expect(describeSteps(cps.planCommand('beeper.disable'))).toEqual(['UPS.PowerSummary.AudibleAlarmControl=1']);
    expect(describeSteps(cps.planCommand('beeper.enable'))).toEqual(['UPS.PowerSummary.AudibleAlarmControl=2']);
  });

  it('PowerCOM: the vendor delay encodings', () => {
    expect(powercomShutdownCommand(20, true)).toBe((20 << 8) | 0x4000);
    expect(powercomShutdownCommand(90, false)).toBe((30 << 8) + 1 + 0x8000);
    expect(powercomShutdownSeconds(0x1e01)).toBe(90);
    expect(powercomStartupSeconds(0x0200)).toBe(120);
    const desc = '05 84 09 04 a1 01 09 24 a1 00 85 01 75 10 95 01 27 ff ff 00 00 09 57 b1 02 09 56 b1 02 c0 c0';
    const m = createUpsModel(hexToBytes(desc), { vendorId: 0x0d9f, productId: 0x0004 });
    expect(m.vendor).toBe('powercom');
    expect(m.commands).toEqual(['shutdown.return', 'shutdown.stayoff']);
    expect(describeSteps(m.planCommand('shutdown.return', { offDelay: 20 }))).toEqual([
      `UPS.PowerSummary.DelayBeforeShutdown=${(20 << 8) | 0x4000}`,
    ]);
    expect(parseReportDescriptor(hexToBytes(desc)).fields).toHaveLength(2);
  });
});
