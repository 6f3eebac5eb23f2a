import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode, UpsguardError } from '../../../src/errors.js';
import { macOfMagicPacket, magicPacket, parseMac } from '../../../src/shutdown/restore/magic-packet.js';
import { classifyIpmiFailure, parsePowerStatus } from '../../../src/shutdown/restore/ipmi.js';

describe('the Wake-on-LAN magic packet', () => {
  it('is six 0xFF then the MAC sixteen times, for any MAC, in either separator', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), fc.constantFrom(':', '-'), (bytes, sep) => {
        const mac = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(sep);
        const p = magicPacket(mac.toUpperCase());
        expect(p).toHaveLength(102);
        expect([...p.subarray(0, 6)]).toEqual([255, 255, 255, 255, 255, 255]);
        for (let i = 0; i < 16; i++) expect([...p.subarray(6 + i * 6, 12 + i * 6)]).toEqual([...bytes]);
        expect(macOfMagicPacket(p)).toBe(mac.replace(/-/g, ':'));
      }),
    );
  });

  it('refuses anything that is not a MAC with a typed error naming the text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (s) => {
        if (/^\s*([0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}\s*$/.test(s)) return;
        expect(() => parseMac(s)).toThrow(UpsguardError);
      }),
    );
    expect(() => parseMac('52:54:00:12:34')).toThrow(/not a MAC address: "52:54:00:12:34"/);
    expect(macOfMagicPacket(Buffer.alloc(102))).toBeNull();
  });
});

describe("ipmitool's answers", () => {
  it('reads the chassis power state', () => {
    expect(parsePowerStatus('Chassis Power is on\n')).toBe('on');
    expect(parsePowerStatus('Chassis Power is off')).toBe('off');
    expect(parsePowerStatus('something else')).toBe('unknown');
  });

  it('tells a refused password from a BMC that does not answer', () => {
    const r = (stderr: string) => ({ code: 1, stdout: '', stderr, timedOut: false });
    const auth = classifyIpmiFailure(
      'h',
      r('> RAKP 2 HMAC is invalid\nError: Unable to establish IPMI v2 / RMCP+ session'),
      1,
    );
    expect(auth.code).toBe(ErrorCode.DriverAuth);
    const down = classifyIpmiFailure(
      'h',
      r('Get Auth Capabilities error\nError: Unable to establish IPMI v2 / RMCP+ session'),
      1,
    );
    expect(down.code).toBe(ErrorCode.DriverUnreachable);
    expect(classifyIpmiFailure('h', { code: null, stdout: '', stderr: '', timedOut: true }, 1500).message).toContain(
      '1500 ms',
    );
    expect(
      classifyIpmiFailure(
        'h',
        { code: null, stdout: '', stderr: '', timedOut: false, spawnError: 'ipmitool: ENOENT' },
        1,
      ).code,
    ).toBe(ErrorCode.DriverFailure);
  });
});
