import { describe, expect, it } from 'vitest';
import type { ReportType } from '../../../src/ups/hid/types.js';
import { createUpsModel, type ReportSource } from '../../../src/ups/pdc/index.js';
import { DEVICES, descriptorBytes, hexToBytes, upsc, values, type DeviceKey } from '../hid/fixtures.js';

function source(key: DeviceKey, override: Record<string, string> = {}): ReportSource {
  const reports = new Map<string, Uint8Array>();
  for (const v of values(key)) reports.set(`${v.type}:${v.reportId}`, v.report);
  for (const [k, hex] of Object.entries(override)) reports.set(k, hexToBytes(hex));
  return { get: (t: ReportType, id: number) => reports.get(`${t}:${id}`) };
}

function model(key: DeviceKey, extra: object = {}) {
  const d = DEVICES[key];
  return createUpsModel(descriptorBytes(key), { vendorId: d.vendorId, productId: d.productId, ...extra });
}

describe('APC Back-UPS CS 500 against its upsc output', () => {
  const expected = upsc('apc');
  const strings: Record<number, string> = {
    1: 'Back-UPS 500 FW: 6.5.I USB FW: c1 ',
    2: 'AB0427******',
    3: 'American Power Conversion',
    4: 'PbAc',
  };

  it('every device variable upsc shows, with the USB strings as DeviceInfo', () => {
    const m = model('apc', { manufacturer: strings[3], product: strings[1], serial: strings[2] });
    const { variables, status } = m.decode(source('apc'), (i) => strings[i]);
    const compared = [...expected].filter(([k]) => !k.startsWith('driver.'));
    expect(compared.length).toBeGreaterThan(20);
    for (const [name, value] of compared)
      expect(`${name}: ${variables[name] ?? '<missing>'}`).toBe(`${name}: ${value}`);
    expect(status).toEqual(['OL']);
    expect(m.vendor).toBe('apc');
  });

  it('falls back to the PowerSummary string indexes when DeviceInfo has no strings', () => {
    const m = model('apc');
    const { variables } = m.decode(source('apc'), (i) => strings[i]);
    expect(variables['ups.model']).toBe('Back-UPS 500');
    expect(variables['device.serial']).toBe('AB0427******');
    // iManufacturer inherits volt units (NUT reads 0.03); the model uses the raw index 3.
    expect(variables['ups.mfr']).toBe('American Power Conversion');
  });

  it('polls the status, charge and runtime reports quickly and everything mapped in full', () => {
    const m = model('apc');
    const quick = m.quickReports.map((r) => r.reportId);
    expect(quick).toEqual(expect.arrayContaining([0x06, 0x0c, 0x13, 0x14]));
    expect(quick).not.toContain(0x07);
    const full = m.fullReports.map((r) => r.reportId);
    expect(full).toEqual(expect.arrayContaining([0x01, 0x02, 0x03, 0x07, 0x08, 0x09, 0x0c, 0x11, 0x1c, 0x40]));
    expect(m.fullReports.every((r) => r.type === 'feature')).toBe(true);
    expect(m.fieldFor('battery.charge')?.reportId).toBe(0x0c);
    expect(m.commands).toEqual(['shutdown.return']);
  });

  it('reports OB DISCHRG LB and OFF from the APC status bits', () => {
    const m = model('apc');
    const r = m.decode(source('apc', { 'feature:19': '13 00', 'feature:6': '06 00 01 00', 'feature:20': '14 01 00' }));
    expect(r.status).toEqual(['OB', 'DISCHRG', 'LB', 'OFF']);
    expect(r.variables['ups.status']).toBe('OB DISCHRG LB OFF');
  });
});

describe('CyberPower CP1500PFCLCD', () => {
  it('decodes with NUT formats and the vendor fixes', () => {
    const m = model('cyberpower');
    const { variables, status } = m.decode(source('cyberpower'), (i) => ({ 3: 'CPS', 4: 'PbAcid' })[i]);
    expect(variables).toMatchObject({
      'battery.charge': '100',
      'battery.voltage': '24.0',
      'battery.voltage.nominal': '24',
      'battery.runtime': '9180',
      'battery.runtime.low': '300',
      'battery.charge.low': '10',
      'battery.charge.warning': '20',
      'battery.type': 'PbAcid',
      'battery.mfr.date': 'CPS',
      'input.voltage': '121.0',
      'input.voltage.nominal': '120',
      'input.transfer.low': '88',
      'input.transfer.high': '139',
      'output.voltage': '121.0',
      'ups.load': '3',
      'ups.realpower.nominal': '900',
      'ups.test.result': 'No test initiated',
      'ups.beeper.status': 'enabled',
      'ups.timer.shutdown': '-60',
      'ups.timer.start': '-60',
      'ups.delay.shutdown': '60',
      'ups.delay.start': '120',
      'ups.mfr': 'CPS',
      'ups.vendorid': '0764',
      'ups.productid': '0501',
    });
    expect(status).toEqual(['OL']);
  });

  it('scales a battery voltage 1.5x above nominal by 2/3 on 0764:0501 only', () => {
    // nominal 12.0 V (0x78 -> 12), battery 20.4 V (0xcc): ratio 1.7 > 1.4.
    const over = { 'feature:9': '09 78', 'feature:10': '0a cc' };
    expect(model('cyberpower').decode(source('cyberpower', over)).variables['battery.voltage']).toBe('13.6');
    const other = createUpsModel(descriptorBytes('cyberpower'), { vendorId: 0x0764, productId: 0x0601 });
    expect(other.decode(source('cyberpower', over)).variables['battery.voltage']).toBe('20.4');
  });

  it('shows charging while the battery is not full and on-battery when AC is gone', () => {
    const m = model('cyberpower');
    // ACPresent=1, Charging=1, FullyCharged=0
    expect(m.decode(source('cyberpower', { 'input:11': '0b 03' })).status).toEqual(['OL', 'CHRG']);
    // ACPresent=0, Discharging=1, BelowRemainingCapacityLimit=1
    expect(m.decode(source('cyberpower', { 'input:11': '0b 0c' })).status).toEqual(['OB', 'DISCHRG', 'LB']);
    // Boost and overload come from UPS.Output.
    expect(m.decode(source('cyberpower', { 'feature:23': '17 03' })).status).toEqual(['OL', 'OVER', 'BOOST']);
  });
});

describe('Eaton 3S 700', () => {
  it('decodes the indexed-collection paths', () => {
    const m = model('eaton');
    const { variables, status } = m.decode(source('eaton'));
    expect(variables).toMatchObject({
      'battery.charge': '92',
      'battery.runtime': '2737',
      'battery.charge.low': '20',
      'ups.load': '7',
      'ups.power.nominal': '700',
      'output.voltage': '230.0',
      'output.voltage.nominal': '230',
      'input.transfer.low': '184',
      'input.transfer.high': '264',
      'ups.timer.shutdown': '-1',
      'ups.timer.start': '-1',
      'ups.beeper.status': 'disabled',
      'ups.delay.shutdown': '20',
      'ups.delay.start': '30',
      'ups.vendorid': '0463',
      'ups.productid': 'ffff',
    });
    expect(status).toEqual(['OL', 'CHRG']);
    expect(m.vendor).toBe('eaton');
  });

  it('reports OFF when Good drops and ignores a stale Charging bit at full charge', () => {
    const m = model('eaton');
    // ACPresent, Charging; Good=0 -> OFF
    expect(m.decode(source('eaton', { 'input:1': '01 05 00 00' })).status).toEqual(['OL', 'CHRG', 'OFF']);
    // Charging at 100 %: no FullyCharged bit on this unit, so charge decides.
    expect(m.decode(source('eaton', { 'input:6': '06 64 b1 0a 00 00' })).status).toEqual(['OL']);
  });
});

it('a generic device gets generic names and no vendor quirks', () => {
  const m = createUpsModel(descriptorBytes('apc'), { vendorId: 0x1234, productId: 0x5678 });
  expect(m.vendor).toBe('generic');
  expect(m.descriptor.find('UPS.PowerSummary.ff860060')).toBeDefined();
  expect(m.decode(source('apc')).variables['ups.vendorid']).toBe('1234');
});

it('a short report only drops the fields it cannot hold', () => {
  const m = model('eaton');
  const r = m.decode(source('eaton', { 'input:6': '06 5c' }));
  expect(r.variables['battery.charge']).toBe('92');
  expect(r.variables['battery.runtime']).toBeUndefined();
  expect(r.variables['ups.load']).toBe('7');
});
