// mge-hid's outlet.* and ups.start.* (NUT 2.8.0's table) on the recorded Eaton 3S 700 descriptor, and on two small
// descriptors written here for the fields the 3S lacks (StartOnBattery, an outlet group's delay registers).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { UpsguardError } from '../../../src/errors.js';
import type { ReportType } from '../../../src/ups/hid/types.js';
import { createUpsModel, type ReportSource } from '../../../src/ups/pdc/index.js';
import { DEVICES, descriptorBytes, hexToBytes, values } from '../hid/fixtures.js';

const EATON = { vendorId: DEVICES.eaton.vendorId, productId: DEVICES.eaton.productId };

function reportsOf(
  entries: Record<string, string>,
  base: readonly { type: ReportType; reportId: number; report: Uint8Array }[] = [],
): ReportSource {
  const reports = new Map<string, Uint8Array>();
  for (const v of base) reports.set(`${v.type}:${v.reportId}`, v.report);
  for (const [k, hex] of Object.entries(entries)) reports.set(k, hexToBytes(hex));
  return { get: (t: ReportType, id: number) => reports.get(`${t}:${id}`) };
}

const eaton3s = () => createUpsModel(descriptorBytes('eaton'), EATON);

describe('Eaton 3S 700 outlets (recorded descriptor)', () => {
  it('publishes the main outlet and its one PowerShare group from the recorded reports', () => {
    const m = eaton3s();
    const { variables } = m.decode(reportsOf({}, values('eaton')));
    // Report 0x0c (recorded) says the main outlet is switchable; the IDs (0x0b) and switch states (0x02) were not
    // recorded, so only the fixed names and what 0x0c holds can be read.
    expect(variables).toMatchObject({
      'outlet.switchable': 'yes',
      'outlet.desc': 'Main Outlet',
      'outlet.1.desc': 'PowerShare Outlet 1',
    });
    expect(variables['outlet.id']).toBeUndefined();
    expect(variables['outlet.2.desc']).toBeUndefined();
    expect(variables['ups.start.battery']).toBeUndefined();
  });

  it('reads IDs, switchability and on/off from the reports that hold them', () => {
    const m = eaton3s();
    // Report 0x0b: Flow[4].FlowID, Outlet[1].FlowID, Outlet[1].OutletID, Outlet[2].FlowID, Outlet[2].OutletID, …
    // Report 0x02: Outlet[1] and Outlet[2] SwitchOn/Off; report 0x19: Outlet[2].Switchable.
    const on = m.decode(
      reportsOf(
        { 'feature:11': '0b 04 01 01 02 02 00 00 00 00 00', 'feature:2': '02 01 01', 'feature:25': '19 01' },
        values('eaton'),
      ),
    ).variables;
    expect(on).toMatchObject({
      'outlet.id': '1',
      'outlet.1.id': '2',
      'outlet.1.status': 'on',
      'outlet.1.switchable': 'yes',
    });
    const off = m.decode(reportsOf({ 'feature:2': '02 01 00', 'feature:25': '19 00' }, values('eaton'))).variables;
    expect(off).toMatchObject({ 'outlet.1.status': 'off', 'outlet.1.switchable': 'no' });
    // A value NUT's on_off table does not know is not published, rather than guessed.
    expect(m.decode(reportsOf({ 'feature:2': '02 01 07' })).variables['outlet.1.status']).toBeUndefined();
  });

  it('offers the outlet names as driver-side RW STRING:20 and no outlet switch (the 3S has no group delay fields)', () => {
    const m = eaton3s();
    expect(m.writable.filter((w) => w.name.startsWith('outlet.'))).toEqual([
      { name: 'outlet.desc', length: 20, driverSide: true },
      { name: 'outlet.1.desc', length: 20, driverSide: true },
    ]);
    expect(m.commands.filter((c) => c.startsWith('outlet.'))).toEqual([]);
    expect(() => m.planSet('outlet.desc', 'Rack')).toThrow(/driver-side/);
  });
});

// UPS / PowerConverter / Input.[3] (collection 0x83) / StartOnBattery (0xffff0047), an 8-bit writable Feature.
const START_ON_BATTERY =
  '05 84 09 04 a1 01 09 16 a1 00 09 1a a1 83 85 05 75 08 95 01 15 00 25 01 06 ff ff 09 47 b1 82 c0 c0 c0';
// UPS / OutletSystem / Outlet.[2] (collection 0x82) / DelayBeforeShutdown, DelayBeforeStartup: 16-bit writable.
const OUTLET_GROUP_DELAYS =
  '05 84 09 04 a1 01 09 18 a1 00 09 20 a1 82 85 06 75 10 95 01 15 ff 26 ff 7f 09 57 b1 82 85 07 09 56 b1 82 c0 c0 c0';

describe('mge-hid fields the 3S lacks', () => {
  it('ups.start.battery reads yes/no and is written from those words, as NUT sets it', () => {
    const m = createUpsModel(hexToBytes(START_ON_BATTERY), EATON);
    expect(m.decode(reportsOf({ 'feature:5': '05 01' })).variables['ups.start.battery']).toBe('yes');
    expect(m.decode(reportsOf({ 'feature:5': '05 00' })).variables['ups.start.battery']).toBe('no');
    expect(m.writable).toContainEqual({ name: 'ups.start.battery', length: 5 });
    const [yes] = m.planSet('ups.start.battery', 'yes');
    expect(yes).toMatchObject({ kind: 'write', value: 1, field: { reportId: 5 } });
    expect(m.planSet('ups.start.battery', 'no')[0]).toMatchObject({ value: 0 });
    expect(() => m.planSet('ups.start.battery', '1')).toThrow(/one of no, yes/);
    expect(() => m.planSet('ups.start.battery', 'YES')).toThrow(/one of no, yes/);
    expect(() => m.planSet('ups.start.battery', 'maybe')).toThrow(UpsguardError);
  });

  it('any text set on ups.start.battery is a write of 0 or 1 (yes, no) or a typed refusal', () => {
    const m = createUpsModel(hexToBytes(START_ON_BATTERY), EATON);
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.constantFrom('yes', 'no', 'YES', 'No', '', 'toString', '__proto__')),
        (text) => {
          let steps: ReturnType<typeof m.planSet> | undefined;
          try {
            steps = m.planSet('ups.start.battery', text);
          } catch (e) {
            expect(e).toBeInstanceOf(UpsguardError);
          }
          // Only NUT's exact words are written (usbhid-ups compares them with strcmp).
          if (text === 'yes' || text === 'no')
            expect(steps).toMatchObject([{ kind: 'write', value: text === 'yes' ? 1 : 0 }]);
          else expect(steps).toBeUndefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('any bytes in the outlet reports decode to NUT words or to nothing, never throw', () => {
    const m = eaton3s();
    const word = /^(yes|no|on|off)$/;
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ maxLength: 4 }), (ids, sw) => {
        const r = reportsOf({
          'feature:11': ['0b', ...[...ids].map((b) => b.toString(16).padStart(2, '0'))].join(' '),
          'feature:2': ['02', ...[...sw].map((b) => b.toString(16).padStart(2, '0'))].join(' '),
        });
        const v = m.decode(r).variables;
        for (const k of ['outlet.1.status', 'outlet.switchable', 'outlet.1.switchable'])
          if (v[k] !== undefined) expect(v[k]).toMatch(word);
        if (v['outlet.id'] !== undefined) expect(v['outlet.id']).toMatch(/^\d+$/);
      }),
      { numRuns: 300 },
    );
  });

  it('outlet.1.load.off/on write 0 to the group delay registers (outlet.N is Outlet.[N+1])', () => {
    const m = createUpsModel(hexToBytes(OUTLET_GROUP_DELAYS), EATON);
    expect(m.commands.filter((c) => c.startsWith('outlet.'))).toEqual(['outlet.1.load.off', 'outlet.1.load.on']);
    expect(m.planCommand('outlet.1.load.off')).toMatchObject([{ kind: 'write', value: 0, field: { reportId: 6 } }]);
    expect(m.planCommand('outlet.1.load.on')).toMatchObject([{ kind: 'write', value: 0, field: { reportId: 7 } }]);
    expect(() => m.planCommand('outlet.2.load.off')).toThrow(/not supported/);
  });
});
