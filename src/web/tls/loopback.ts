import { isIP } from 'node:net';

/**
 * Whether a listen address reaches only this machine: 127.0.0.0/8, ::1 (also as ::ffff:127.x.x.x) or `localhost`.
 * Only those may serve plain HTTP; everything else (0.0.0.0, ::, a LAN address, a name) is reachable from the network.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === 'localhost.') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    if (mapped) return mapped[1]!.startsWith('127.');
    return expandIpv6(h) === '0000:0000:0000:0000:0000:0000:0000:0001';
  }
  return false;
}

/** An IP address that names one interface (not 0.0.0.0 or ::, which mean every interface). */
export function isSpecificIp(host: string): boolean {
  const kind = isIP(host);
  if (kind === 4) return host !== '0.0.0.0';
  if (kind === 6) return expandIpv6(host) !== '0000:0000:0000:0000:0000:0000:0000:0000';
  return false;
}

/** `::1` -> eight four-digit groups, so equal addresses compare equal whatever their spelling. */
function expandIpv6(ip: string): string {
  const [head = '', tail] = ip.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const missing = tail === undefined ? 0 : 8 - left.length - right.length;
  return [...left, ...Array<string>(missing).fill('0'), ...right].map((g) => g.padStart(4, '0')).join(':');
}
