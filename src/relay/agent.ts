import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { hostname } from 'node:os';
import tls from 'node:tls';
import { ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { systemClock, type Clock } from '../util/clock.js';
import { ConnectionLimits, remoteKey } from '../util/connection-limits.js';
import { RateLimitedLog } from '../util/rate-limited-log.js';
import { AgentSession, type SessionHost } from './agent-session.js';
import type { AgentStore } from './agent-store.js';
import type { ExportedDevice } from './exported-device.js';
import { listHostUsbDevices } from './host-inventory.js';
import type { DeviceState, ExportedDeviceInfo, HostUsbDeviceInfo } from './protocol.js';
import { PSK_CIPHERS } from './psk.js';
import { waitAtMost } from '../util/timeout.js';

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
  /** A connection that has not finished its TLS handshake by then is closed. */
  readonly handshakeTimeoutMs: number;
  /** Connections not yet through the TLS handshake, from one address (default 8) and in all (default 64). */
  readonly maxPendingHandshakesPerAddress?: number | undefined;
  readonly maxPendingHandshakes?: number | undefined;
  /** Times the log's rate limit; the system clock unless a test gives one. */
  readonly clock?: Clock | undefined;
}

const DEFAULT_PENDING_PER_ADDRESS = 8;
const DEFAULT_PENDING_TOTAL = 64;
/** Refusals logged per address and window; the rest are summed up in one line when the window ends. */
const LOG_LINES_PER_WINDOW = 5;
const LOG_WINDOW_MS = 60_000;
/** How long stop() waits for the listener to close once every socket is destroyed. */
const STOP_WAIT_MS = 2000;

const slotKey = (s: net.Socket): string => `${s.remoteAddress ?? ''}|${String(s.remotePort ?? '')}`;

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
  /** Every TCP socket accepted, before and after TLS, so stop() can close them all. */
  private readonly sockets = new Set<net.Socket>();
  /** Release of a pending-handshake slot, by the TCP socket's remote address and port. */
  private readonly pending = new Map<string, () => void>();
  private readonly offDevice: (() => void)[] = [];
  private readonly quietLog: RateLimitedLog;
  private stopping: Promise<void> | null = null;
  /** Other transports' connected consumers by device (the usbredir listeners): they count as attached too. */
  private readonly controllerSources: ((device: string) => readonly string[])[] = [];

  constructor(private readonly options: RelayAgentOptions) {
    this.quietLog = new RateLimitedLog({
      log: options.log,
      clock: options.clock ?? systemClock,
      maxPerWindow: LOG_LINES_PER_WINDOW,
      windowMs: LOG_WINDOW_MS,
    });
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

  warnLimited(key: string, fields: Record<string, unknown>, msg: string): void {
    this.quietLog.warn(key, fields, msg);
  }

  async start(): Promise<{ host: string; port: number }> {
    if (this.server) throw new Error('the relay agent is already started');
    this.stopping = null;
    for (const d of this.options.devices) {
      this.offDevice.push(
        d.events.on('input', (input) => {
          for (const s of this.sessions) s.pushInput(d, input);
        }),
        d.events.on('plug', (kind, reason) => {
          this.options.log.info({ device: d.name, kind, reason }, `device ${kind}`);
          for (const s of this.sessions) s.pushPlug(d, kind, reason);
          this.changed();
        }),
      );
      await d.start();
    }
    this.changed();
    this.server = this.options.insecure
      ? net.createServer((s) => {
          this.accept(s, 'insecure');
        })
      : this.tlsServer();
    this.server.on('connection', (raw: net.Socket) => {
      this.sockets.add(raw);
      raw.once('close', () => this.sockets.delete(raw));
    });
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

  /** Closes every socket at once (sessions, handshakes under way), removes its listeners; bounded in time. */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    for (const off of this.offDevice.splice(0)) off();
    const server = this.server;
    this.server = null;
    const closed = new Promise<void>((resolve) => {
      if (server?.listening) server.close(() => resolve());
      else resolve();
    });
    for (const s of [...this.sessions]) s.close();
    this.sessions.clear();
    for (const raw of [...this.sockets]) raw.destroy();
    this.sockets.clear();
    for (const release of this.pending.values()) release();
    this.pending.clear();
    await waitAtMost(closed, STOP_WAIT_MS);
    server?.removeAllListeners();
    this.quietLog.flush();
    for (const d of this.options.devices) {
      try {
        await d.stop();
      } catch (err) {
        this.options.log.error({ device: d.name, err: errorMessage(err) }, 'cannot stop the exported device');
      }
    }
  }

  private tlsServer(): tls.Server {
    const keys = this.options.keys!;
    const o = this.options;
    const limits = new ConnectionLimits({
      perAddress: o.maxPendingHandshakesPerAddress ?? DEFAULT_PENDING_PER_ADDRESS,
      total: o.maxPendingHandshakes ?? DEFAULT_PENDING_TOTAL,
    });
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
      (socket) => {
        this.pending.get(slotKey(socket))?.();
        this.accept(socket, this.pskIdentity.get(socket) ?? 'unknown');
      },
    );
    // The raw TCP connection, before TLS: a slot per address and in all, held until the handshake ends.
    server.on('connection', (raw: net.Socket) => {
      const address = remoteKey(raw.remoteAddress);
      const a = limits.admit(address);
      if (!a.ok) {
        this.quietLog.warn(`refused ${address}`, { remote: address }, `relay connection refused: ${a.reason}`);
        raw.destroy();
        return;
      }
      const k = slotKey(raw);
      const release = (): void => {
        a.release();
        if (this.pending.get(k) === release) this.pending.delete(k);
      };
      this.pending.set(k, release);
      raw.once('close', release);
    });
    server.on('tlsClientError', (err, socket) => {
      // A wrong key, a wrong identity or a handshake timeout ends here: close it, log who tried (never what key).
      const address = remoteKey(socket.remoteAddress);
      socket.destroy();
      // A client that hung up before finishing (or one refused above) is not a refusal worth a warning.
      if ((err as NodeJS.ErrnoException).code === 'ECONNRESET') {
        this.options.log.debug({ remote: address }, 'relay connection closed before its handshake');
        return;
      }
      this.quietLog.warn(`handshake ${address}`, { remote: address, err: err.message }, 'relay handshake refused');
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

  /** A usbredir listener's consumers show as the device's connected controller in the device table. */
  addControllerSource(source: (device: string) => readonly string[]): void {
    this.controllerSources.push(source);
  }

  private stateOf(d: ExportedDevice): { state: DeviceState; consumer: string | null } {
    const claim = this.options.store.claim(d.name);
    const live = claim && claim.leaseUntil > this.now() ? claim : undefined;
    const consumer = live?.identity ?? null;
    if (!d.isConnected()) return { state: d.everAttached() ? 'missing' : 'attaching', consumer };
    if (!live) return { state: 'available', consumer };
    const controllerConnected =
      [...this.sessions].some((s) => s.identity === live.identity && s.controls(d)) ||
      this.controllerSources.some((source) => source(d.name).includes(live.identity));
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
