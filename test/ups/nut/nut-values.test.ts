import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { UpsguardError } from '../../../src/errors.js';
import { planSet, type ResolvedWritable } from '../../../src/ups/pdc/writable.js';
import { mdnsWanted } from '../../../src/ups/nut/mdns-advertiser.js';
import { checkValue, typeOf } from '../../../src/ups/nut/ups-view.js';

const RW: ResolvedWritable[] = [
  { name: 'input.transfer.low', length: 10, range: { min: 78, max: 88 } },
  { name: 'output.voltage.nominal', length: 5, enum: ['220', '230'] },
  { name: 'ups.delay.shutdown', length: 10 },
];

describe('SET VAR values', () => {
  test('any value gets OK or one of upsd’s value errors, never anything else', () => {
    fc.assert(
      fc.property(fc.constantFrom(...RW), fc.string({ maxLength: 16, unit: 'binary' }), (w, value) => {
        const problem = checkValue(w, value);
        expect([null, 'TOO-LONG', 'INVALID-VALUE']).toContain(problem);
        if (problem === null && w.range) expect(Number(value)).toBeGreaterThanOrEqual(w.range.min);
        if (problem === null && w.enum) expect(w.enum).toContain(value);
      }),
    );
  });

  test('planSet refuses bad values with a typed error naming the variable', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (value) => {
        try {
          planSet(RW, 'input.transfer.low', value);
        } catch (e) {
          expect(e).toBeInstanceOf(UpsguardError);
          expect((e as UpsguardError).message).toContain('input.transfer.low');
        }
      }),
    );
    expect(() => planSet(RW, 'ups.delay.shutdown', '30')).toThrow(/driver-side/);
    expect(() => planSet(RW, 'nope', '1')).toThrow(/not a writable variable/);
  });

  test('GET TYPE words in upsd’s order', () => {
    expect(typeOf(RW[0])).toBe('RW RANGE STRING:10');
    expect(typeOf(RW[1])).toBe('RW ENUM STRING:5');
    expect(typeOf(undefined)).toBe('NUMBER');
  });
});

describe('mDNS default', () => {
  test('off on loopback, on beyond it, the config wins', () => {
    expect(mdnsWanted('127.0.0.1', undefined)).toBe(false);
    expect(mdnsWanted('::1', undefined)).toBe(false);
    expect(mdnsWanted('0.0.0.0', undefined)).toBe(true);
    expect(mdnsWanted('192.168.1.5', undefined)).toBe(true);
    expect(mdnsWanted('192.168.1.5', false)).toBe(false);
    expect(mdnsWanted('127.0.0.1', true)).toBe(true);
  });
});
