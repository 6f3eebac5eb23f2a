import { describe, expect, it } from 'vitest';
import { HidParseError } from '../../../src/errors.js';
import { parseReportDescriptor } from '../../../src/ups/hid/descriptor-parser.js';
import { usageCode } from '../../../src/ups/hid/usage-tables.js';
import { APC_USAGES, CPS_USAGES, MGE_USAGES } from '../../../src/ups/hid/vendor-usages.js';
import { descriptorBytes, hexToBytes, layout, type DeviceKey } from './fixtures.js';

const TABLES = { apc: [], cyberpower: CPS_USAGES, eaton: MGE_USAGES } as const;

describe('descriptor parser on the real fixtures', () => {
  for (const key of ['apc', 'cyberpower', 'eaton'] as const satisfies readonly DeviceKey[]) {
    it(`${key}: fields equal NUT's layout exactly`, () => {
      const desc = parseReportDescriptor(descriptorBytes(key), { usageNames: TABLES[key] });
      const expected = layout(key);
      expect(expected.length).toBeGreaterThan(30);
      const got = desc.fields.map((f) => ({
        path: f.path,
        type: f.type,
        reportId: f.reportId,
        offset: f.offset,
        size: f.size,
        logMin: f.logicalMin,
        logMax: f.logicalMax,
        phyMin: f.physicalMin,
        phyMax: f.physicalMax,
        unit: f.unit,
        unitExp: f.unitExponent,
        attr: f.flags & 0xff,
      }));
      expect(got).toEqual(expected);
      expect(desc.usesReportIds).toBe(true);
      expect(desc.sha256).toMatch(/^[0-9a-f]{64}$/);
    });
  }

  it('computes report lengths per (ID, type), including padding', () => {
    const cps = parseReportDescriptor(descriptorBytes('cyberpower'));
    // Report 0x0b: 6 status bits + 2 padding bits.
    expect(cps.reportLength('input', 0x0b)).toBe(2);
    expect(cps.reportLength('feature', 0x0b)).toBe(2);
    expect(cps.reportLength('feature', 0x07)).toBe(7);
    expect(cps.reportLength('output', 0x07)).toBe(0);
    const eaton = parseReportDescriptor(descriptorBytes('eaton'));
    // COPIBridge: Report Count 10 with one usage; the other nine slots still take space.
    expect(eaton.reportLength('feature', 0xfe)).toBe(11);
    expect(eaton.reportLength('feature', 0xff)).toBe(64);
    expect(eaton.reportIds('input')).toEqual([1, 2, 3, 6]);
  });

  it('finds paths case-insensitively, by hex, and prefers Feature', () => {
    const apc = parseReportDescriptor(descriptorBytes('apc'));
    expect(apc.find('ups.powersummary.remainingcapacity')?.type).toBe('feature');
    expect(apc.find('UPS.PowerSummary.RemainingCapacity', 'input')?.type).toBe('input');
    expect(apc.find('UPS.PowerSummary.ff860060')?.offset).toBe(16);
    expect(apc.find('UPS.PowerSummary.Nope')).toBeUndefined();
    const eaton = parseReportDescriptor(descriptorBytes('eaton'), { usageNames: MGE_USAGES });
    expect(eaton.find('UPS.Flow.[4].ConfigVoltage')?.reportId).toBe(0x12);
    expect(eaton.find('UPS.PowerSummary.ffff0022.Code')?.path).toBe('UPS.PowerSummary.OverallAlarm.Code');
  });
});

describe('descriptor parser rules (reference worked examples)', () => {
  const parse = (hex: string) => parseReportDescriptor(hexToBytes(hex));

  it('sign-extends Logical/Physical by item size and applies the LogMax < LogMin fix', () => {
    // 15 ff = -1, 26 ff 7f = 32767, 35 c4 = -60, 47 c4 ff 1d 00 = 1966020
    const d = parse('05 84 09 04 a1 01 85 15 09 57 75 10 95 01 15 ff 26 ff 7f 35 c4 47 c4 ff 1d 00 66 01 10 b1 a2 c0');
    expect(d.fields[0]).toMatchObject({
      logicalMin: -1,
      logicalMax: 32767,
      physicalMin: -60,
      physicalMax: 1966020,
      unit: 0x1001,
    });
    // APC BK650M2: 25 ff after LogMin 0 is re-read as 255.
    const apc = parse('05 84 09 04 a1 01 85 0c 05 85 09 66 75 08 95 01 15 00 25 ff b1 a2 c0');
    expect(apc.fields[0]).toMatchObject({ logicalMin: 0, logicalMax: 255, logicalMaxAssumed: true });
    // 4-byte forms: 17 ff ff ff ff = -1; 27 fe ff 00 00 = 65534.
    const four = parse('05 84 09 04 a1 01 85 01 09 30 75 10 95 01 17 ff ff ff ff 27 fe ff 00 00 b1 02 c0');
    expect(four.fields[0]).toMatchObject({ logicalMin: -1, logicalMax: 65534 });
    const neg = parse('05 84 09 04 a1 01 85 01 09 30 75 08 95 01 15 00 25 7f 16 ff ff b1 02 c0');
    expect(neg.fields[0]?.logicalMin).toBe(-1);
  });

  it('applies the unit-exponent nibble rule', () => {
    const exp = (byte: string): number | undefined =>
      parse(`05 84 09 04 a1 01 85 01 09 30 75 08 95 01 26 ff 00 55 ${byte} b1 02 c0`).fields[0]?.unitExponent;
    expect(exp('0f')).toBe(-1);
    expect(exp('0e')).toBe(-2);
    expect(exp('05')).toBe(5);
    expect(exp('07')).toBe(7);
    expect(exp('fe')).toBe(-2);
  });

  it('names indexed (vendor-defined type) collections [n] and pops both nodes', () => {
    const d = parse('05 84 09 04 a1 01 09 1e a1 84 09 43 85 0d 75 10 95 01 b1 83 c0 09 24 a1 00 09 30 b1 02 c0 c0');
    expect(d.fields.map((f) => f.path)).toEqual(['UPS.Flow.[4].ConfigApparentPower', 'UPS.PowerSummary.Voltage']);
  });

  it('implements Push/Pop of the global table', () => {
    const d = parse(
      '05 84 09 04 a1 01 85 01 75 08 95 01 26 ff 00 a4 75 10 27 ff ff 00 00 09 30 b1 02 b4 09 31 b1 02 c0',
    );
    expect(d.fields.map((f) => [f.path, f.size, f.offset, f.logicalMax])).toEqual([
      ['UPS.Voltage', 16, 0, 65535],
      ['UPS.Current', 8, 16, 255],
    ]);
    expect(() => parse('b4')).toThrow(HidParseError);
  });

  it('assigns Usage Minimum/Maximum ranges to consecutive fields', () => {
    const d = parse('05 85 09 02 a1 02 85 01 75 01 95 04 25 01 19 44 29 47 81 02 c0');
    expect(d.fields.map((f) => [f.path, f.offset])).toEqual([
      ['SMBBatteryStatus.Charging', 0],
      ['SMBBatteryStatus.Discharging', 1],
      ['SMBBatteryStatus.FullyCharged', 2],
      ['SMBBatteryStatus.FullyDischarged', 3],
    ]);
  });

  it('skips long items, keeps extended 32-bit usages, and honours delimiters', () => {
    const d = parse(
      'fe 02 10 aa bb 05 84 09 04 a1 01 85 01 75 08 95 01 0b 60 00 86 ff b1 02 a9 01 09 30 09 31 a9 00 b1 02 c0',
    );
    expect(d.fields.map((f) => f.path)).toEqual(['UPS.ff860060', 'UPS.Voltage']);
  });

  it('lays out a descriptor without report IDs (no ID byte)', () => {
    const d = parse('05 84 09 04 a1 01 09 30 75 10 95 01 27 ff ff 00 00 81 02 09 31 b1 02 c0');
    expect(d.usesReportIds).toBe(false);
    expect(d.fields.map((f) => [f.reportId, f.type, f.offset])).toEqual([
      [0, 'input', 0],
      [0, 'feature', 0],
    ]);
    expect(d.reportLength('input', 0)).toBe(2);
  });

  it('keeps separate layouts when one report ID carries Input and Feature (5131:2007 case)', () => {
    const d = parse('05 84 09 04 a1 01 85 0b 75 08 95 01 26 ff 00 09 30 81 02 09 31 81 02 09 35 b1 02 c0');
    expect(d.fields.map((f) => [f.path, f.type, f.offset])).toEqual([
      ['UPS.Voltage', 'input', 0],
      ['UPS.Current', 'input', 8],
      ['UPS.PercentLoad', 'feature', 0],
    ]);
    expect(d.reportLength('input', 0x0b)).toBe(3);
    expect(d.reportLength('feature', 0x0b)).toBe(2);
  });

  it('does not list padding or surplus Report Count slots but counts their bits', () => {
    // The `09 00` field is an explicit usage 0 on page 0x84: NUT lists it (0x00840000 is not 0), as Undefined.
    const d = parse('05 84 09 04 a1 01 85 01 75 08 95 03 26 ff 00 09 30 b1 02 75 05 95 01 b1 03 09 00 75 08 b1 02 c0');
    expect(d.fields.map((f) => [f.path, f.offset])).toEqual([
      ['UPS.Voltage', 0],
      ['UPS.Undefined', 29],
    ]);
    expect(d.reportLength('feature', 1)).toBe(1 + Math.ceil((24 + 5 + 8) / 8));
  });

  it('lists fields with an explicitly declared usage 0 as Undefined, constant or not, as NUT does', () => {
    // UPS.PowerSummary { RemainingCapacity; 09 00 data; 09 00 constant; Report Count 2 with one 09 00 }
    const d = parse(
      '05 84 09 04 a1 01 09 24 a1 02 85 01 75 08 95 01 26 ff 00 05 85 09 66 b1 02 09 00 b1 02 09 00 b1 03 ' +
        '95 02 09 00 b1 02 05 00 09 00 95 01 b1 02 0b 00 00 84 00 b1 03 c0 c0',
    );
    expect(d.fields.map((f) => [f.path, f.offset, f.flags, f.usage])).toEqual([
      ['UPS.PowerSummary.RemainingCapacity', 0, 0x02, 0x00850066],
      ['UPS.PowerSummary.Undefined', 8, 0x02, 0x00850000],
      ['UPS.PowerSummary.Undefined', 16, 0x03, 0x00850000],
      // Report Count 2, one usage: the surplus slot (offset 32) is a continuation, not listed.
      ['UPS.PowerSummary.Undefined', 24, 0x02, 0x00850000],
      // Page 0, usage 0 is no usage at all (offset 40): not listed. The 4-byte form carries page 0x84.
      ['UPS.PowerSummary.Undefined', 48, 0x03, 0x00840000],
    ]);
    expect(d.reportLength('feature', 1)).toBe(1 + 7);
    expect(d.find('UPS.PowerSummary.Undefined')?.offset).toBe(48);
  });

  it('refuses an empty descriptor, and one without any field, with a typed error naming the offset', () => {
    for (const [hex, offset] of [
      ['', 0],
      ['05 84 09 04 a1 01 c0', 7],
    ] as const) {
      try {
        parse(hex);
        expect.unreachable();
      } catch (err) {
        expect(err).toBeInstanceOf(HidParseError);
        expect((err as HidParseError).code).toBe('HID_DESCRIPTOR_MALFORMED');
        expect((err as HidParseError).offset).toBe(offset);
        expect((err as HidParseError).message).toMatch(new RegExp(`offset ${offset}`));
      }
    }
  });

  it('names the byte offset of a malformed item', () => {
    expect(() => parse('05 84 09 04 a1 01 c0 c0')).toThrow(/offset 7/);
    expect(() => parse('05 84 09')).toThrow(/offset 2/);
    expect(() => parse('05 84 85 00')).toThrow(HidParseError);
    try {
      parse('05 84 27 ff');
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(HidParseError);
      expect((err as HidParseError).offset).toBe(2);
      expect((err as HidParseError).code).toBe('HID_DESCRIPTOR_MALFORMED');
    }
  });

  it('refuses descriptors past its limits with HID_DESCRIPTOR_LIMIT', () => {
    const deep = '05 84 ' + '09 04 a1 00 '.repeat(40);
    expect(() => parse(deep)).toThrow(expect.objectContaining({ code: 'HID_DESCRIPTOR_LIMIT' }) as Error);
    const huge = '05 84 09 04 a1 01 85 01 75 08 97 ff ff ff 7f 81 02 c0';
    expect(() => parse(huge)).toThrow(expect.objectContaining({ code: 'HID_DESCRIPTOR_LIMIT', offset: 15 }) as Error);
  });
});

describe('usage names', () => {
  it('gives a usage code by name from the one table, vendor table first', () => {
    expect(usageCode('Voltage')).toBe(0x00840030);
    expect(usageCode('remainingcapacity')).toBe(0x00850066);
    expect(usageCode('Undefined')).toBe(0x00840000);
    expect(usageCode('APCStatusFlag', APC_USAGES)).toBe(0xff860060);
    expect(usageCode('Undefined', MGE_USAGES)).toBe(0xffff0000);
    expect(() => usageCode('NoSuchUsage')).toThrow(/NoSuchUsage/);
  });
});
