import { hostname } from 'node:os';
import { isIPv4 } from 'node:net';
import type { Bonjour, Service } from 'bonjour-service';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';

/** What the advertisement is doing, for the console and /api/status. */
export type MdnsState =
  | { readonly state: 'off'; readonly reason: string }
  | { readonly state: 'advertising'; readonly name: string; readonly port: number }
  | { readonly state: 'failed'; readonly reason: string };

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);
/** How long stop() waits for the goodbye packets. */
const STOP_WAIT_MS = 1000;

/** On unless the server listens on loopback only (nobody else could connect), or the config says. */
export function mdnsWanted(host: string, configured: boolean | undefined): boolean {
  return configured ?? (!LOOPBACK.has(host) && !host.startsWith('127.'));
}

/**
 * Advertises the NUT server over multicast DNS as `_nut._tcp` (RFC 6763), which Home Assistant's NUT integration
 * discovers. Pure JavaScript (bonjour-service over multicast-dns): no avahi daemon needed. A server bound to one
 * IPv4 address is announced on that interface only.
 */
export class NutMdnsAdvertiser {
  private bonjour: Bonjour | null = null;
  private service: Service | null = null;
  private current: MdnsState = { state: 'off', reason: 'not started' };
  private starting = false;

  constructor(private readonly o: { host: string; port: number; log: Logger; instanceName?: string }) {}

  state(): MdnsState {
    return this.current;
  }

  /**
   * Starts advertising; resolves once the service is published or has failed (never rejects). The library is loaded
   * here, not at import: most appliances listen on loopback or turn mDNS off and never pay its ~1 MB of heap.
   */
  async start(): Promise<void> {
    if (this.bonjour || this.starting) return;
    this.starting = true;
    const name = this.o.instanceName ?? `upsguard on ${hostname()}`;
    const onError = (e: unknown): void => {
      this.current = { state: 'failed', reason: errorMessage(e) };
      this.o.log.error({ err: errorMessage(e) }, 'mDNS advertisement failed; NUT is still served');
    };
    try {
      const { Bonjour: BonjourClass } = await import('bonjour-service');
      // stop() may have run while the library loaded.
      if (!this.isStarting()) return;
      const specific = isIPv4(this.o.host) && this.o.host !== '0.0.0.0';
      // multicast-dns options ride along with the service defaults (bonjour-service passes them through). It binds to
      // the interface address when given one, and a socket bound to a unicast address hears no multicast: bind any.
      const opts = (specific ? { interface: this.o.host, bind: '0.0.0.0' } : {}) as Record<string, unknown>;
      this.bonjour = new BonjourClass(opts, onError);
      this.service = this.bonjour.publish({
        name,
        type: 'nut',
        protocol: 'tcp',
        port: this.o.port,
        // The SRV target and A records under <host>.local, as mDNS names hosts (bonjour-service uses the bare name).
        host: `${hostname()}.local`,
        txt: { txtvers: '1' },
        disableIPv6: specific,
      });
      this.service.on('error', onError);
      this.current = { state: 'advertising', name, port: this.o.port };
      this.o.log.info({ name, port: this.o.port }, 'NUT server advertised over mDNS as _nut._tcp');
    } catch (e) {
      onError(e);
    } finally {
      this.starting = false;
    }
  }

  private isStarting(): boolean {
    return this.starting;
  }

  async stop(): Promise<void> {
    this.starting = false;
    const b = this.bonjour;
    if (!b) return;
    this.bonjour = null;
    this.service = null;
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, STOP_WAIT_MS);
      try {
        b.unpublishAll(() => {
          b.destroy();
          clearTimeout(t);
          resolve();
        });
      } catch {
        clearTimeout(t);
        resolve();
      }
    });
    this.current = { state: 'off', reason: 'stopped' };
  }
}
