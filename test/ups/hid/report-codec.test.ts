import { describe, expect, it } from 'vitest';
import { HidReportError } from '../../../src/errors.js';
import { parseReportDescriptor } from '../../../src/ups/hid/descriptor-parser.js';
import {
  emptyReport,
  logicalToPhysical,
  maskLogical,
  readLogical,
  readValue,
  setValue,
  writeValue,
} from '../../../src/ups/hid/report-codec.js';
import type { HidField } from '../../../src/ups/hid/types.js';
import { createUpsModel } from '../../../src/ups/pdc/index.js';
import { formatG } from '../../../src/ups/pdc/format.js';
import { DEVICES, descriptorBytes, hexToBytes, values, type DeviceKey } from './fixtures.js';

function field(over: Partial<HidField>): HidField {
  return {
    path: 'UPS.Test',
    usage: 0x00840058,
    type: 'feature',
    reportId: 1,
    offset: 0,
    size: 8,
    logicalMin: 0,
    logicalMax: 255,
    physicalMin: null,
    physicalMax: null,
    unit: 0,
    unitExponent: 0,
    flags: 2,
    ...over,
  };
}

describe('every value NUT logged for the fixtures, from the raw report bytes', () => {
  for (const key of ['apc', 'cyberpower', 'eaton'] as const satisfies readonly DeviceKey[]) {
    it(`${key}: reproduces NUT's printed values (vendor model applied)`, () => {
      const dev = DEVICES[key];
      const model = createUpsModel(descriptorBytes(key), { vendorId: dev.vendorId, productId: dev.productId });
      const lines = values(key);
      expect(lines.length).toBeGreaterThan(15);
      for (const v of lines) {
        const f = model.descriptor.find(v.path, v.type);
        expect(f, v.path).toBeDefined();
        if (!f) continue;
        expect([f.reportId, f.offset, f.size]).toEqual([v.reportId, v.offset, v.size]);
        expect(`${v.path}=${formatG(readValue(f, v.report))}`).toBe(`${v.path}=${v.value}`);
      }
    });
  }

  it('CyberPower Output.Voltage clamps to 136 without the vendor fix (the documented quirk)', () => {
    const plain = parseReportDescriptor(descriptorBytes('cyberpower'));
    const f = plain.find('UPS.Output.Voltage', 'feature');
    expect(f && readValue(f, hexToBytes('12 79 00'))).toBe(136);
  });
});

describe('GetValue masking (NUT rules)', () => {
  it('throws away garbage above the magnitude of LogMax (APC BF500)', () => {
    const f = field({ size: 32, logicalMax: 0xffff });
    expect(maskLogical(f, 0x80080a00)).toBe(0x0a00);
  });
  it('sign-extends when LogMin < 0 and clamps', () => {
    const f = field({ size: 16, logicalMin: -1, logicalMax: 32767 });
    expect(maskLogical(f, 0xffff)).toBe(-1);
    expect(maskLogical(f, 0x7fff)).toBe(32767);
    expect(maskLogical(f, 0x8001)).toBe(-1); // -32767 clamps to LogMin
    const s8 = field({ logicalMin: -128, logicalMax: 127 });
    expect(maskLogical(s8, 0x80)).toBe(-128);
    expect(maskLogical(s8, 0xfe)).toBe(-2);
  });
  it('clamps unsigned values to the logical range', () => {
    expect(maskLogical(field({ logicalMin: 78, logicalMax: 88 }), 5)).toBe(78);
    expect(maskLogical(field({ logicalMin: 136, logicalMax: 142 }), 121)).toBe(136);
    expect(maskLogical(field({ logicalMax: 100 }), 0xff)).toBe(100);
  });
});

describe('logical to physical and units', () => {
  it('scales CyberPower delays by 60 and clamps to the physical range', () => {
    const f = field({
      size: 16,
      logicalMin: -1,
      logicalMax: 32767,
      physicalMin: -60,
      physicalMax: 1966020,
      unit: 0x1001,
    });
    expect(logicalToPhysical(f, -1)).toBe(-60);
    expect(logicalToPhysical(f, 2)).toBe(120);
  });
  it('uses the logical value for absent, zero or inverted physical ranges', () => {
    expect(logicalToPhysical(field({ physicalMin: 0, physicalMax: 0 }), 7)).toBe(7);
    expect(logicalToPhysical(field({ physicalMin: 10, physicalMax: 5 }), 7)).toBe(7);
    expect(logicalToPhysical(field({ physicalMin: 0 }), 7)).toBe(7);
  });
  it('applies the base-7 rule for volts and VA/W, base 0 elsewhere', () => {
    const volt = (exp: number, bytes: string): number =>
      readValue(field({ size: 16, logicalMax: 65535, unit: 0x00f0d121, unitExponent: exp }), hexToBytes(bytes));
    expect(volt(5, '01 4e 05')).toBe(13.58);
    expect(volt(6, '01 f0 00')).toBe(24);
    expect(volt(7, '01 e6 00')).toBe(230);
    expect(
      readValue(field({ unit: 0x0000d121, unitExponent: 7, size: 16, logicalMax: 65535 }), hexToBytes('01 bc 02')),
    ).toBe(700);
    expect(readValue(field({ unit: 0x0000f001, unitExponent: -1 }), hexToBytes('01 f4'))).toBe(24.4);
    // Unknown unit codes get base 0.
    expect(readValue(field({ unit: 0x12345, unitExponent: 1 }), hexToBytes('01 05'))).toBe(50);
  });
});

describe('writing and report shapes', () => {
  it('writes in place without touching neighbours, inverse of readValue', () => {
    const cps = createUpsModel(descriptorBytes('cyberpower'), { vendorId: 0x0764, productId: 0x0501 });
    const delay = cps.descriptor.find('UPS.Output.DelayBeforeShutdown', 'feature');
    if (!delay) throw new Error('no delay field');
    const r = emptyReport(cps.descriptor, 'feature', 0x15);
    expect([...r]).toEqual([0x15, 0, 0]);
    writeValue(delay, r, 120);
    expect([...r]).toEqual([0x15, 0x02, 0x00]);
    expect(readValue(delay, r)).toBe(120);
    writeValue(delay, r, -1);
    expect([...r]).toEqual([0x15, 0xff, 0xff]);
    const eaton = parseReportDescriptor(descriptorBytes('eaton'));
    const charging = eaton.find('UPS.PowerSummary.PresentStatus.Charging', 'input');
    if (!charging) throw new Error('no field');
    const status = hexToBytes('01 25 00 00');
    setValue(charging, status, 0);
    expect([...status]).toEqual([0x01, 0x21, 0, 0]);
    const volt = field({ size: 16, logicalMax: 65534, unit: 0x00f0d121, unitExponent: 5 });
    const vr = hexToBytes('01 00 00');
    writeValue(volt, vr, 12);
    expect([...vr]).toEqual([1, 0xb0, 0x04]);
  });
  it('refuses to write constant fields with HID_FIELD_NOT_WRITABLE', () => {
    const f = field({ flags: 0x03 });
    expect(() => {
      writeValue(f, hexToBytes('01 00'), 1);
    }).toThrow(expect.objectContaining({ code: 'HID_FIELD_NOT_WRITABLE' }) as Error);
  });
  it('reports short or mismatched reports as HidReportError', () => {
    const f = field({ size: 16 });
    expect(() => readLogical(f, hexToBytes('01 00'))).toThrow(HidReportError);
    expect(() => readLogical(f, new Uint8Array(0))).toThrow(HidReportError);
    expect(() => readLogical(f, hexToBytes('02 00 00'))).toThrow(/expected 1/);
    expect(() => emptyReport(parseReportDescriptor(descriptorBytes('apc')), 'output', 1)).toThrow(HidReportError);
  });
  it('reads unnumbered reports without an ID byte', () => {
    const d = parseReportDescriptor(hexToBytes('05 84 09 04 a1 01 09 30 75 10 95 01 27 ff ff 00 00 81 02 c0'));
    const f = d.fields[0];
    if (!f) throw new Error('no field');
    expect(readValue(f, hexToBytes('e6 00'))).toBe(230);
    expect([...emptyReport(d, 'input', 0)]).toEqual([0, 0]);
  });
});
