import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { hostname } from 'node:os';
import tls from 'node:tls';
import { ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { AgentSession, type SessionHost } from './agent-session.js';
import type { AgentStore } from './agent-store.js';
import type { ExportedDevice } from './exported-device.js';
import { listHostUsbDevices } from './host-inventory.js';
import type { DeviceState, ExportedDeviceInfo, HostUsbDeviceInfo } from './protocol.js';
import { PSK_CIPHERS } from './psk.js';

export { DEFAULT_RELAY_PORT } from '../ups/transport/relay-url.js';

export interface RelayAgentOptions {
  readonly host: string;
  readonly port: number;
  /** PSK identities and their keys; null only with `insecure`. */
  readonly keys: ReadonlyMap<string, Buffer> | null;
  /** Plain TCP, allowed only on a loopback address (tests, a local tunnel). */
  readonly insecure: boolean;
  readonly devices: readonly ExportedDevice[];
  readonly store: AgentStore;
  readonly log: Logger;
  readonly now: () => number;
  /** A controller's claim outlives its connection by this much (a migrating VM gets it back). */
  readonly leaseMs: number;
  /** A connection silent this long is dropped (clients ping every few seconds). */
  readonly idleTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * `upsguard relay`: owns the UPS's USB device on the host with the cable and exports it over TLS 1.3 with a
 * pre-shared key. A wrong key fails in the handshake, before any message.
 */
export class RelayAgent implements SessionHost {
  readonly agentInstance = randomUUID();
  readonly agentHost = hostname();
  private server: net.Server | null = null;
  private readonly sessions = new Set<AgentSession>();
  private readonly pskIdentity = new WeakMap<object, string>();
  private renewTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: RelayAgentOptions) {
    if (options.insecure && !isLoopback(options.host)) {
      throw new UpsguardError(
        ErrorCode.CliUsage,
        `--insecure is allowed only on a loopback address, not ${options.host}`,
      );
    }
    if (!options.insecure && (!options.keys || options.keys.size === 0)) {
      throw new UpsguardError(ErrorCode.RelayPskInvalid, 'the relay needs a PSK file (--psk-file) unless --insecure');
    }
  }

  get devices(): readonly ExportedDevice[] {
    return this.options.devices;
  }

  get log(): Logger {
    return this.options.log;
  }

  now(): number {
    return this.options.now();
  }

  async start(): Promise<{ host: string; port: number }> {
    for (const d of this.options.devices) {
      d.events.on('input', (input) => {
        for (const s of this.sessions) s.pushInput(d, input);
      });
      d.events.on('plug', (kind, reason) => {
        this.options.log.info({ device: d.name, kind, reason }, `device ${kind}`);
        for (const s of this.sessions) s.pushPlug(d, kind, reason);
        this.changed();
      });
      await d.start();
    }
    this.changed();
    this.server = this.options.insecure ? net.createServer((s) => this.accept(s, 'insecure')) : this.tlsServer();
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.options.port, this.options.host, () => {
        this.server!.off('error', reject);
        resolve();
      });
    });
    // Controllers that stay connected keep their lease fresh; a vanished one keeps it for leaseMs.
    this.renewTimer = setInterval(() => this.renewLeases(), Math.max(250, this.options.leaseMs / 4));
    this.renewTimer.unref();
    const addr = this.server.address() as net.AddressInfo;
    return { host: addr.address, port: addr.port };
  }

  async stop(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    for (const s of this.sessions) s.close();
    this.sessions.clear();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
    for (const d of this.options.devices) await d.stop();
  }

  private tlsServer(): tls.Server {
    const keys = this.options.keys!;
    const server = tls.createServer(
      {
        minVersion: 'TLSv1.3',
        ciphers: PSK_CIPHERS,
        handshakeTimeout: this.options.handshakeTimeoutMs,
        pskCallback: (socket, identity) => {
          const key = keys.get(identity);
          if (key) this.pskIdentity.set(socket, identity);
          return key ?? null;
        },
      },
      (socket) => this.accept(socket, this.pskIdentity.get(socket) ?? 'unknown'),
    );
    server.on('tlsClientError', (err, socket) => {
      // A wrong key or identity ends here, in the handshake: log who tried, never what key.
      this.options.log.warn({ remote: socket.remoteAddress, err: err.message }, 'relay handshake refused');
    });
    return server;
  }

  private accept(socket: net.Socket, identity: string): void {
    socket.setNoDelay(true);
    socket.setKeepAlive(true, 5000);
    socket.setTimeout(this.options.idleTimeoutMs, () => {
      this.options.log.info({ identity }, 'relay client silent; dropping it');
      socket.destroy();
    });
    const session = new AgentSession(socket, identity, this);
    this.sessions.add(session);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.sessions.delete(session);
      session.close();
    });
  }

  private renewLeases(): void {
    for (const s of this.sessions) {
      for (const d of this.options.devices) {
        if (s.controls(d) && !s.isClosed())
          this.options.store.acquire(d.name, s.identity, this.now(), this.options.leaseMs);
      }
    }
    this.changed();
  }

  acquire(device: ExportedDevice, identity: string): { ok: true } | { ok: false; holder: string; until: number } {
    const r = this.options.store.acquire(device.name, identity, this.now(), this.options.leaseMs);
    if (r.ok) {
      this.options.log.info({ device: device.name, identity }, 'controller claim held');
      return { ok: true };
    }
    return { ok: false, holder: r.holder.identity, until: r.holder.leaseUntil };
  }

  holds(device: ExportedDevice, identity: string): boolean {
    return this.options.store.holds(device.name, identity, this.now());
  }

  release(device: ExportedDevice, identity: string): void {
    if (this.options.store.release(device.name, identity)) {
      this.options.log.info({ device: device.name, identity }, 'controller claim released');
    }
  }

  private stateOf(d: ExportedDevice): { state: DeviceState; consumer: string | null } {
    const claim = this.options.store.claim(d.name);
    const live = claim && claim.leaseUntil > this.now() ? claim : undefined;
    const consumer = live?.identity ?? null;
    if (!d.isConnected()) return { state: d.everAttached() ? 'missing' : 'attaching', consumer };
    if (!live) return { state: 'available', consumer };
    const controllerConnected = [...this.sessions].some((s) => s.identity === live.identity && s.controls(d));
    return { state: controllerConnected ? 'attached' : 'attaching', consumer };
  }

  /** Writes the inventory rows whose state changed. */
  changed(): void {
    try {
      for (const d of this.options.devices) {
        const info = d.info();
        const { state, consumer } = this.stateOf(d);
        this.options.store.upsertDevice({
          name: d.name,
          identity: d.identity(),
          vendorId: info.vendorId,
          productId: info.productId,
          bus: info.portPath ? Number(info.portPath.split('-')[0]) || null : null,
          deviceNumber: null,
          portPath: info.portPath ?? null,
          consumer,
          state,
          stateChangedAt: this.now(),
        });
      }
    } catch (err) {
      this.options.log.error({ err: errorMessage(err) }, 'cannot update the device table');
    }
  }

  /** The host's whole USB inventory, with the claim state of what this agent exports; empty where libusb sees none. */
  async hostDevices(): Promise<HostUsbDeviceInfo[]> {
    try {
      return await listHostUsbDevices(this.options.store, this.now());
    } catch (err) {
      this.options.log.warn({ err: errorMessage(err) }, 'cannot list the host USB devices');
      return [];
    }
  }

  inventory(): ExportedDeviceInfo[] {
    this.changed();
    // The table remembers devices of earlier runs; a client sees what this agent exports now.
    const rows = this.options.store.devices().filter((r) => this.options.devices.some((d) => d.name === r.name));
    return rows.map((r) => {
      const d = this.options.devices.find((x) => x.name === r.name);
      const info = d?.info();
      const claim = this.options.store.claim(r.name);
      return {
        name: r.name,
        identity: r.identity,
        vendorId: r.vendorId,
        productId: r.productId,
        manufacturer: info?.manufacturer ?? null,
        product: info?.product ?? null,
        serial: info?.serial ?? null,
        portPath: r.portPath,
        bus: r.bus,
        deviceNumber: r.deviceNumber,
        state: r.state,
        controller: claim && claim.leaseUntil > this.now() ? claim.identity : null,
        leaseUntil: claim && claim.leaseUntil > this.now() ? new Date(claim.leaseUntil).toISOString() : null,
        stateChangedAt: new Date(r.stateChangedAt).toISOString(),
      };
    });
  }
}
