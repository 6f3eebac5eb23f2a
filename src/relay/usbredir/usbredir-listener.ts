import net from 'node:net';
import tls from 'node:tls';
import { ErrorCode, UpsguardError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { AgentStore } from '../agent-store.js';
import { isLoopback } from '../agent.js';
import { PSK_CIPHERS } from '../psk.js';
import { UsbRedirHostSession, type UsbRedirSessionState } from './session.js';
import type { UsbRedirDevice } from './usb-device.js';

export interface UsbRedirListenerOptions {
  readonly host: string;
  readonly port: number;
  /** The agent's PSK identities and keys; QEMU's `tls-creds-psk` username is the identity. Null only when insecure. */
  readonly keys: ReadonlyMap<string, Buffer> | null;
  /** Plain TCP: only on a loopback address or one of `managementAddresses`, and only when asked for explicitly. */
  readonly insecure: boolean;
  /** Addresses the owner named as a management network where plain TCP is accepted. */
  readonly managementAddresses?: readonly string[];
  readonly device: UsbRedirDevice;
  readonly store: AgentStore;
  readonly log: Logger;
  readonly now: () => number;
  /** The claim outlives the connection by this much: a migrated QEMU reconnects from a new process and keeps it. */
  readonly leaseMs: number;
  readonly handshakeTimeoutMs: number;
  /** The device table may have changed (a consumer came or went). */
  readonly changed?: () => void;
}

/** A second connection of a consumer that stays silent this long is a live-migration destination. */
const MIGRATION_SILENCE_MS = 500;

/** A fresh usb-redir's first message is its hello: type 0, little-endian, in the first four bytes. */
const startsWithHello = (first: Buffer): boolean => first.length >= 4 && first.readUInt32LE(0) === 0;

/** The first chunk the peer sends within `ms`, or null; the socket is left paused either way. */
function firstBytesWithin(socket: net.Socket, ms: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const done = (chunk: Buffer | null): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.pause();
      resolve(chunk);
    };
    const onData = (chunk: Buffer): void => done(chunk);
    const onClose = (): void => done(null);
    const timer = setTimeout(() => done(null), ms);
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/** What QEMU's usb-redir is called in plain mode, where there is no PSK identity: its address. */
export const plainIdentity = (remote: string | undefined): string => `usbredir:${remote ?? 'unknown'}`;

/**
 * One TCP port for one exported device (usbredir has no device selection in its protocol). Each connection takes the
 * device's controller claim, the same claim the HID relay uses, so one VM owns the device; a second is refused.
 */
export class UsbRedirListener {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private readonly sessions = new Map<UsbRedirHostSession, string>();
  private readonly pskIdentity = new WeakMap<object, string>();
  private renewTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: UsbRedirListenerOptions) {
    const o = options;
    const allowed = isLoopback(o.host) || (o.managementAddresses ?? []).includes(o.host);
    if (o.insecure && !allowed) {
      throw new UpsguardError(
        ErrorCode.CliUsage,
        `plain-TCP usbredir is allowed only on a loopback or a named management address, not ${o.host}; ` +
          'use TLS-PSK (QEMU tls-creds-psk) or name the address as a management address',
      );
    }
    if (!o.insecure && (!o.keys || o.keys.size === 0)) {
      throw new UpsguardError(ErrorCode.RelayPskInvalid, 'the usbredir listener needs PSK keys unless insecure');
    }
  }

  /** The identities with a live usbredir session now: they count as the device's connected controller. */
  connectedConsumers(): string[] {
    return [...this.sessions].filter(([s]) => s.isAlive()).map(([, id]) => id);
  }

  async start(): Promise<{ host: string; port: number }> {
    if (this.server) throw new Error('the usbredir listener is already started');
    const o = this.options;
    const server = o.insecure
      ? net.createServer((s) => this.accept(s, plainIdentity(s.remoteAddress)))
      : this.tlsServer();
    server.on('connection', (raw: net.Socket) => {
      this.sockets.add(raw);
      raw.once('close', () => this.sockets.delete(raw));
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port, o.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.renewTimer = setInterval(() => this.renew(), Math.max(250, o.leaseMs / 4));
    this.renewTimer.unref();
    const a = server.address() as net.AddressInfo;
    return { host: a.address, port: a.port };
  }

  async stop(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.renewTimer = null;
    const server = this.server;
    this.server = null;
    for (const s of [...this.sessions.keys()]) s.close('the agent is stopping');
    for (const raw of [...this.sockets]) raw.destroy();
    if (server?.listening) await new Promise<void>((r) => server.close(() => r()));
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
      socket.destroy();
      this.options.log.warn(
        { device: this.options.device.name, remote: socket.remoteAddress, err: err.message },
        'usbredir handshake refused',
      );
    });
    return server;
  }

  private accept(socket: net.Socket, identity: string): void {
    const o = this.options;
    socket.on('error', () => undefined);
    const claim = o.store.acquire(o.device.name, identity, o.now(), o.leaseMs);
    if (!claim.ok) {
      o.log.warn(
        { device: o.device.name, identity, holder: claim.holder.identity },
        `usbredir consumer ${identity} refused: ${o.device.name} is claimed by ${claim.holder.identity}`,
      );
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    const predecessor = [...this.sessions].find(([s, id]) => id === identity && s.isAlive())?.[0];
    if (!predecessor) {
      o.log.info({ device: o.device.name, identity }, 'usbredir consumer holds the claim');
      this.run(socket, identity);
      return;
    }
    // The same consumer again while its connection is still up: either a live-migration destination, which sends no
    // hello (QEMU makes its parser without one while it is incoming and carries the source's parser state over, so
    // it stays silent or goes on with 64-bit-id packets), or the same VM's QEMU started afresh, whose hello comes at
    // once. QEMU sends its hello as soon as the chardev opens, so half a second of silence is a migration.
    void firstBytesWithin(socket, MIGRATION_SILENCE_MS).then((first) => {
      if (socket.destroyed || this.server === null) return;
      if (first !== null) socket.unshift(first);
      if (first !== null && startsWithHello(first)) {
        predecessor.close('replaced by a new connection of the same consumer');
        o.log.info({ device: o.device.name, identity }, 'usbredir consumer reconnected; the old connection is closed');
        this.run(socket, identity);
        return;
      }
      o.log.info(
        { device: o.device.name, identity },
        'usbredir consumer connected again and silent: a live migration; the new connection takes the interrupt reports',
      );
      // From here the reports go to the destination, which reads them once it runs: none is lost in the switch.
      const next = this.run(socket, identity, predecessor.state());
      next.events.on('closed', () => {
        // A migration that failed or was cancelled: the source goes on, and gets its reports back.
        predecessor.reclaimReceivers();
      });
    });
  }

  private run(socket: net.Socket, identity: string, resume?: UsbRedirSessionState): UsbRedirHostSession {
    const o = this.options;
    const session = new UsbRedirHostSession({
      log: o.log,
      device: o.device,
      stream: socket,
      name: identity,
      ...(resume ? { resume } : {}),
    });
    this.sessions.set(session, identity);
    session.events.on('closed', () => {
      this.sessions.delete(session);
      o.changed?.();
    });
    session.start();
    socket.resume();
    o.changed?.();
    return session;
  }

  private renew(): void {
    const o = this.options;
    for (const id of this.connectedConsumers()) o.store.acquire(o.device.name, id, o.now(), o.leaseMs);
    o.changed?.();
  }
}
