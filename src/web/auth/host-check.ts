import { hostname } from 'node:os';

/** What the console is served under: the names a Host header may carry. */
export interface HostNames {
  /** `web.server_names`. */
  readonly serverNames: readonly string[];
  /** `web.host`, the address it listens on. */
  readonly listenHost: string;
  /** The machine's name; os.hostname() by default. */
  readonly machineName?: string;
}

function normalise(name: string): string {
  let n = name.trim().toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  // An IPv6 literal is written with brackets in a Host header: compare it that way.
  if (n.includes(':') && !n.startsWith('[')) n = `[${n}]`;
  return n;
}

/** Every name a Host header may carry, normalised (lower case, no trailing dot, IPv6 in brackets). */
export function allowedHostNames(h: HostNames): ReadonlySet<string> {
  const machine = h.machineName ?? hostname();
  const names = ['localhost', '127.0.0.1', '[::1]', h.listenHost, machine, `${machine}.local`, ...h.serverNames];
  // An unspecified listen address (0.0.0.0, ::) is not a name anyone browses to.
  return new Set(names.filter((n) => n !== '' && n !== '0.0.0.0' && n !== '::').map(normalise));
}

/** The name part of a Host header (port dropped), normalised; null when it is not a host at all. */
export function hostNameOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  const h = header.trim();
  if (h === '' || /[\s/@?#\\]/.test(h)) return null;
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return null;
    const rest = h.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return null;
    return normalise(h.slice(0, end + 1));
  }
  const colon = h.indexOf(':');
  if (colon >= 0 && !/^\d{1,5}$/.test(h.slice(colon + 1))) return null;
  return normalise(colon >= 0 ? h.slice(0, colon) : h);
}

/**
 * DNS rebinding: a page on evil.example whose name now resolves to the appliance would send `Host: evil.example`.
 * Only the names the console is served under pass; the port is not compared.
 */
export function hostAllowed(header: string | undefined, allowed: ReadonlySet<string>): boolean {
  const name = hostNameOf(header);
  return name !== null && allowed.has(name);
}
