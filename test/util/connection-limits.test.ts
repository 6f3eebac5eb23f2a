import { describe, expect, it } from 'vitest';
import { ConnectionLimits, remoteKey } from '../../src/util/connection-limits.js';

describe('connection limits', () => {
  it('caps each address and the total; a release frees the slot once', () => {
    const l = new ConnectionLimits({ perAddress: 2, total: 3 });
    const a1 = l.admit('a');
    const a2 = l.admit('a');
    expect(a1.ok && a2.ok).toBe(true);
    expect(l.admit('a')).toMatchObject({ ok: false, reason: 'connection limit reached (2 from a)' });
    expect(l.admit('b').ok).toBe(true);
    expect(l.admit('c')).toMatchObject({ ok: false, reason: 'connection limit reached (3 in all)' });
    if (a1.ok) {
      a1.release();
      a1.release();
    }
    expect(l.count()).toBe(2);
    expect(l.count('a')).toBe(1);
    expect(l.admit('c').ok).toBe(true);
    expect(l.admit('c').ok).toBe(false);
  });

  it('counts an IPv4-mapped address as the IPv4 one', () => {
    expect(remoteKey('::ffff:127.0.0.1')).toBe('127.0.0.1');
    expect(remoteKey('::1')).toBe('::1');
    expect(remoteKey(undefined)).toBe('unknown');
  });
});
