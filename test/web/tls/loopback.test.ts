import { describe, expect, it } from 'vitest';
import { isLoopbackHost, isSpecificIp } from '../../../src/web/tls/loopback.js';

describe('loopback listen addresses', () => {
  it.each(['127.0.0.1', '127.1.2.3', '::1', '[::1]', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST'])(
    '%s is loopback: plain HTTP is allowed',
    (h) => {
      expect(isLoopbackHost(h)).toBe(true);
    },
  );

  it.each([
    '0.0.0.0',
    '::',
    '10.0.0.5',
    '192.168.1.2',
    '128.0.0.1',
    '::2',
    '::ffff:10.0.0.1',
    'ups.lan',
    'localhost.lan',
  ])('%s is reachable from the network: HTTPS only', (h) => {
    expect(isLoopbackHost(h)).toBe(false);
  });

  it('0.0.0.0 and :: are every interface, not one address a certificate can name', () => {
    expect(isSpecificIp('0.0.0.0')).toBe(false);
    expect(isSpecificIp('::')).toBe(false);
    expect(isSpecificIp('10.1.2.3')).toBe(true);
    expect(isSpecificIp('fd00::1')).toBe(true);
    expect(isSpecificIp('ups.lan')).toBe(false);
  });
});
