import { describe, expect, it } from 'vitest';
import { hex16, parseHex16, usbId } from '../../src/util/hex.js';

describe('the one hex helper', () => {
  it('formats USB IDs as lsusb prints them', () => {
    expect(hex16(0x51d)).toBe('051d');
    expect(hex16(0)).toBe('0000');
    expect(usbId(0x051d, 0x0002)).toBe('051d:0002');
    expect(usbId(0x0764, 0x0501)).toBe('0764:0501');
  });

  it('parses 1-4 hex digits with an optional 0x, and nothing else', () => {
    expect(parseHex16('0764')).toBe(0x0764);
    expect(parseHex16('0x051D')).toBe(0x051d);
    expect(parseHex16('f')).toBe(15);
    for (const bad of ['', '0x', '12345', 'zz', ' 051d', '05 1d', '-1']) expect(parseHex16(bad), bad).toBeNull();
  });
});
