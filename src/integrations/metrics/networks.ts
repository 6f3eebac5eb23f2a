import { BlockList, isIP } from 'node:net';
import { ErrorCode, UpsguardError } from '../../errors.js';

/** Loopback only: what `web.metrics_networks` is by default, so `curl` on the same machine can scrape the demo. */
export const LOOPBACK_NETWORKS: readonly string[] = ['127.0.0.0/8', '::1/128'];

interface Cidr {
  readonly address: string;
  readonly prefix: number;
  readonly family: 'ipv4' | 'ipv6';
}

/** Parses `10.0.0.0/8`, `fd00::/8` or a bare address (a /32 or /128); a typed error names what is wrong. */
export function parseCidr(text: string): Cidr {
  const slash = text.indexOf('/');
  const address = (slash < 0 ? text : text.slice(0, slash)).trim();
  const version = isIP(address);
  if (version === 0) {
    throw new UpsguardError(ErrorCode.ConfigInvalid, `${JSON.stringify(text)}: not an IPv4 or IPv6 address`);
  }
  const max = version === 4 ? 32 : 128;
  let prefix = max;
  if (slash >= 0) {
    const p = text.slice(slash + 1).trim();
    if (!/^\d{1,3}$/.test(p) || Number(p) > max) {
      throw new UpsguardError(ErrorCode.ConfigInvalid, `${JSON.stringify(text)}: prefix length must be 0 to ${max}`);
    }
    prefix = Number(p);
  }
  return { address, prefix, family: version === 4 ? 'ipv4' : 'ipv6' };
}

/** A zod-friendly check: the problem in words, or null. */
export function cidrProblem(text: string): string | null {
  try {
    parseCidr(text);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Whether a client address (as `req.ip` gives it, IPv4-mapped IPv6 included) is in one of the networks. */
export class NetworkMatcher {
  private readonly list = new BlockList();

  constructor(networks: readonly string[]) {
    for (const n of networks) {
      const c = parseCidr(n);
      this.list.addSubnet(c.address, c.prefix, c.family);
    }
  }

  matches(ip: string | undefined): boolean {
    if (ip === undefined || ip === '') return false;
    // Node hands an IPv4 client of a dual-stack socket over as ::ffff:a.b.c.d; the networks name it as IPv4.
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
    const address = mapped ? mapped[1]! : ip;
    const version = isIP(address);
    if (version === 0) return false;
    return this.list.check(address, version === 4 ? 'ipv4' : 'ipv6');
  }
}
