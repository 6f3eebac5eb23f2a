import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { isSpecificIp } from './loopback.js';

/** The names a self-signed certificate is made for: DNS names and IP addresses, each once. */
export interface SubjectNames {
  readonly dns: readonly string[];
  readonly ips: readonly string[];
}

// What a DNS SAN may hold here; anything else (a name with spaces or commas) is left out rather than mis-encoded.
const DNS_NAME = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/;

/**
 * Every name the console may be opened under: this machine's hostname and its `.local` (mDNS) form, `localhost`, the
 * listen address when it is one IP, 127.0.0.1, and the owner's `web.server_names`.
 */
export function subjectNames(
  listenHost: string,
  serverNames: readonly string[] = [],
  machine: string = hostname(),
): SubjectNames {
  const dns = new Set<string>();
  const ips = new Set<string>();
  const add = (raw: string): void => {
    const name = raw.trim().replace(/^\[(.*)\]$/, '$1');
    if (isIP(name) !== 0) {
      if (isSpecificIp(name)) ips.add(name);
      return;
    }
    const lower = name.toLowerCase().replace(/\.$/, '');
    if (DNS_NAME.test(lower)) dns.add(lower);
  };
  const short = machine.split('.')[0] ?? '';
  add(machine);
  if (short !== '') add(`${short}.local`);
  add('localhost');
  add(listenHost);
  add('127.0.0.1');
  for (const n of serverNames) add(n);
  return { dns: [...dns], ips: [...ips] };
}
