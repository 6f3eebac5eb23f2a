// A real Tripp Lite report descriptor (09ae:3016, NUT 2.7.4 debug log) through our decoder and model, against the
// ECO850LCD dump of the same subdriver family (tripplite-hid). No recorded reports beyond two, so values are not
// compared: the variable names, the commands and the RW set are.
// Source: https://github.com/networkupstools/nut/issues/414#issuecomment-291508286, as recorded in
// github:aronreid/ups-to-esp32 captures/nut-issues/09ae-3016-tripp-lite-ups.hex @ 6c9176f09f7483871973e541520587b3d73c7c49
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createUpsModel, type ReportSource } from '../../../src/ups/pdc/index.js';
import { hexToBytes } from '../hid/fixtures.js';
import { minus, parseNutDump } from '../nut/parity-rig.js';

const DESCRIPTOR = [
  '05 84 09 04 a1 01 09 24 a1 00 85 28 09 fe 79 01 75 08 95 01 15 00 26 ff 00 b1 03 85 29 09 ff 79',
  '05 b1 03 85 2b 09 fd 79 03 b1 03 09 1a a1 02 85 30 09 40 67 21 d1 f0 00 55 07 b1 83 85 31 09 30',
  '75 10 95 01 15 00 27 ff ff 00 00 67 21 d1 f0 00 55 01 b1 02 c0 85 11 09 5a 75 08 95 01 15 01 25',
  '03 65 00 55 00 b1 82 09 02 a1 02 85 32 75 01 95 07 15 00 25 01 81 03 b1 03 09 62 95 01 b1 a2 09',
  '62 81 a2 b1 01 81 01 09 69 b1 a2 09 69 81 a2 95 06 b1 01 81 01 05 85 09 d0 95 01 81 a2 09 d0 b1',
  'a2 81 01 b1 01 95 06 09 42 09 46 09 44 09 45 09 47 09 4b 81 a2 09 42 09 46 09 44 09 45 09 47 09',
  '4b b1 a2 c0 85 2a 09 89 79 07 75 08 95 01 15 00 26 ff 00 b1 03 85 62 09 8f 79 08 b1 03 85 33 09',
  '2c b1 03 85 34 09 66 81 a2 09 66 b1 a2 85 3a 09 29 b1 a2 85 37 09 67 b1 03 85 36 09 83 b1 03 85',
  '38 09 8c b1 a2 85 2c 09 8b b1 03 85 35 09 68 75 10 27 ff ff 00 00 66 01 10 55 00 81 a2 09 68 b1',
  'a2 c0 05 84 09 10 a1 02 09 12 a1 02 85 04 09 40 67 21 d1 f0 00 55 07 b1 02 85 20 09 30 67 21 d1',
  'f0 00 55 01 b1 a2 09 02 a1 02 85 23 75 01 95 02 15 00 25 01 65 00 55 00 b1 01 95 06 05 85 09 42',
  '09 46 09 44 09 45 09 47 09 4b b1 82 c0 85 21 09 66 75 08 95 01 25 64 b1 a2 85 10 05 84 09 58 25',
  '06 b1 82 c0 c0 09 1e a1 00 85 01 09 40 26 ff 00 67 21 d1 f0 00 55 07 b1 03 85 02 09 42 66 01 f0',
  '55 00 b1 03 85 03 09 43 75 10 27 ff ff 00 00 66 21 d1 55 07 b1 03 c0 09 16 a1 00 09 1a a1 02 85',
  '18 09 30 67 21 d1 f0 00 55 01 b1 82 85 19 09 32 66 01 f0 55 01 b1 82 c0 09 1c a1 02 85 1b 09 30',
  '67 21 d1 f0 00 55 01 b1 82 85 1c 09 32 66 01 f0 55 01 b1 82 85 46 09 31 67 01 00 10 00 55 01 b1',
  '82 85 47 09 34 66 21 d1 55 07 b1 82 85 06 09 53 67 21 d1 f0 00 55 07 b1 a2 85 09 09 54 b1 a2 c0',
  '09 02 a1 02 85 22 75 01 95 03 15 00 25 01 65 00 55 00 09 63 09 6f 09 6e b1 82 95 01 b1 03 09 65',
  'b1 82 09 6d b1 03 09 67 09 62 95 02 b1 82 95 06 b1 03 95 01 09 72 b1 82 b1 01 c0 c0 09 18 a1 02',
  '09 20 a1 02 85 15 09 57 75 10 95 01 27 ff ff 00 00 66 01 10 55 00 b1 82 06 ff ff 85 16 09 56 15',
  'ff 26 ff 7f 35 c4 47 c4 ff 1d 00 66 01 10 b1 82 05 84 85 17 09 55 15 00 27 ff ff 00 00 35 00 45',
  '00 b1 82 85 61 09 56 b1 82 85 1e 09 35 75 08 26 ff 00 65 00 b1 82 06 ff ff 85 41 09 81 66 01 10',
  'b1 82 85 51 09 91 65 00 b1 82 85 52 09 92 b1 82 c0 c0 06 ff ff 09 fe a1 02 75 08 95 01 15 00 26',
  'ff 00 85 0d 09 75 b1 03 85 0e 09 76 b1 03 85 0f 09 7c b1 82 85 6c 09 7d 75 10 27 ff ff 00 00 b1',
  '03 85 a5 09 e5 b1 82 85 a6 09 e6 b1 82 85 a7 09 e7 67 21 d1 f0 00 55 01 b1 82 85 a8 09 e8 b1 82',
  '85 5d 09 62 75 08 95 01 26 ff 00 65 00 55 00 b1 03 85 60 09 60 b1 03 c0 06 ff ff 09 ff a1 02 85',
  'c2 09 d6 75 20 95 01 27 ff ff ff 7f 17 01 00 00 80 b1 02 85 c3 09 d7 b1 02 85 e3 09 ef 75 08 95',
  '07 26 ff 00 15 00 81 82 09 ef b1 82 c0 c0',
].join(' ');

const dump = parseNutDump(
  readFileSync(
    join(import.meta.dirname, '../../fixtures/nut/Tripp_Lite__ECO850LCD__usbhid-ups__2.6.3__01.dev'),
    'utf8',
  ),
);

describe('Tripp Lite 09ae:3016 (real descriptor) against the ECO850LCD dump', () => {
  const m = createUpsModel(hexToBytes(DESCRIPTOR), { vendorId: 0x09ae, productId: 0x3016 });

  it('parses whole and gets the Tripp Lite family', () => {
    expect(hexToBytes(DESCRIPTOR)).toHaveLength(878);
    expect(m.vendor).toBe('tripplite');
    expect(m.subdriver).toBe('TrippLite HID 0.85');
    expect(m.descriptor.find('UPS.PowerSummary.Input.Voltage', 'feature')?.reportId).toBe(0x31);
  });

  it('serves every command of the dump, and the delay pair NUT 2.6 kept to itself', () => {
    expect(minus(dump.commands ?? [], m.commands)).toEqual([]);
    expect(minus(m.commands, dump.commands ?? [])).toEqual([
      'load.on',
      'load.on.delay',
      'shutdown.return',
      'shutdown.stayoff',
    ]);
    // tripplite-hid's reset.watchdog sets the watchdog (0xffff0092, report 0x52) back to 60 s.
    expect(m.planCommand('reset.watchdog')).toMatchObject([{ kind: 'write', value: 60, field: { reportId: 0x52 } }]);
  });

  it("publishes the dump's variables that the descriptor has fields for, from the paths tripplite-hid reads", () => {
    // Every report the descriptor declares, filled with ones, stands in for the unit (its reports were not recorded).
    const filled: ReportSource = {
      get: (type, id) =>
        m.descriptor.reportIds(type).includes(id) ? Uint8Array.from([id, ...Array<number>(16).fill(1)]) : undefined,
    };
    const names = Object.keys(m.decode(filled).variables);
    const dumpNames = [...dump.variables.keys()].filter((k) => !k.startsWith('driver.'));
    // These three come from the USB string descriptors, which were not recorded.
    expect(minus(dumpNames, names)).toEqual(['battery.type', 'device.model', 'ups.model']);
    expect(names).toEqual(
      expect.arrayContaining(['ups.load', 'ups.power', 'ups.watchdog.status', 'output.frequency.nominal']),
    );
  });

  it("offers the dump's one RW variable and the descriptor's writable limits", () => {
    expect(
      minus(
        dump.writable ?? [],
        m.writable.map((w) => w.name),
      ),
    ).toEqual([]);
    expect(m.writable.map((w) => w.name)).toEqual([
      'battery.charge.low',
      'battery.charge.warning',
      'input.transfer.low',
      'input.transfer.high',
      'ups.delay.shutdown',
      'ups.delay.start',
    ]);
  });
});
