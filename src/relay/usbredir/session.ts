import type { Duplex } from 'node:stream';
import { errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import { Listeners } from '../../util/listeners.js';
import { UsbRedirDecoder, encodeMessage } from './codec.js';
import { announceMessages, statusCode } from './device-messages.js';
import { handleGuestMessage, type SessionCore } from './session-handlers.js';
import { PRE_HELLO_WIRE, capsMask, hasCap, negotiateWire, type UsbRedirMessage, type WireOptions } from './protocol.js';
import type { UsbRedirDevice } from './usb-device.js';

/** What we announce. No bulk streams, no bulk receiving, no iso: a UPS or a dongle needs none, and QEMU copes. */
export const HOST_CAPS = capsMask([
  'connectDeviceVersion',
  'filter',
  'deviceDisconnectAck',
  'epInfoMaxPacketSize',
  'ids64',
  'bulkLength32',
]);
export const HOST_VERSION = 'upsguard usb-host';

export interface UsbRedirHostSessionOptions {
  readonly log: Logger;
  readonly device: UsbRedirDevice;
  readonly stream: Duplex;
  /** For logs: who the peer is (the VM, the claim). */
  readonly name: string;
  /** The peer's hello must come within this; default 10 s. */
  readonly helloTimeoutMs?: number;
  /** A peer that leaves more than this unread is dropped; default 4 MiB. */
  readonly maxWriteBacklog?: number;
  /**
   * Continue a session a live-migrated QEMU resumes on a new connection: its parser state came with the migration,
   * so it sends no hello and expects none, the device stays attached and its interrupt endpoints keep receiving.
   */
  readonly resume?: UsbRedirSessionState;
}

/** What a resumed session needs from the one before it. */
export interface UsbRedirSessionState {
  readonly peerCaps: number;
  readonly interruptEndpoints: readonly number[];
}

export type UsbRedirSessionPhase = 'new' | 'awaiting-hello' | 'ready' | 'closed';

/**
 * The usb-host side of usbredir over one stream for one device: QEMU's usb-redir (the usb-guest side) sees the
 * device as plugged into its own controller. Bad bytes from the peer end this session with one warning; they never
 * reach the device or throw out of here.
 */
export class UsbRedirHostSession implements SessionCore {
  readonly events = new Listeners<{ closed: [reason: string] }>();
  readonly device: UsbRedirDevice;
  readonly log: Logger;
  readonly name: string;
  private phaseNow: UsbRedirSessionPhase = 'new';
  private readonly decoder: UsbRedirDecoder;
  private wire: WireOptions = PRE_HELLO_WIRE;
  private peerCapsNow = 0;
  private peerVersionNow: string | null = null;
  private shown = false;
  private awaitingAck = false;
  private generationNow = 0;
  private readonly cancellers = new Map<bigint, (() => void)[]>();
  private readonly receivers = new Map<number, () => void>();
  private nextPacketId = 1n;
  private helloTimer: NodeJS.Timeout | null = null;
  private readonly cleanups: (() => void)[] = [];

  constructor(private readonly options: UsbRedirHostSessionOptions) {
    this.device = options.device;
    this.log = options.log;
    this.name = options.name;
    this.decoder = new UsbRedirDecoder({
      peer: 'guest',
      ourCaps: HOST_CAPS,
      ...(options.resume ? { resumePeerCaps: options.resume.peerCaps } : {}),
    });
  }

  get phase(): UsbRedirSessionPhase {
    return this.phaseNow;
  }

  isAlive(): boolean {
    return this.phaseNow !== 'closed';
  }

  /** The peer's hello: its version string and capability mask; null before it came. */
  get peer(): { readonly version: string; readonly caps: number } | null {
    return this.peerVersionNow === null ? null : { version: this.peerVersionNow, caps: this.peerCapsNow };
  }

  get generation(): number {
    return this.generationNow;
  }

  /** Whether the guest sees the device now (device_connect sent, no disconnect since). */
  get deviceShown(): boolean {
    return this.shown;
  }

  /** For a session that continues this one on a new connection (live migration). */
  state(): UsbRedirSessionState {
    return { peerCaps: this.peerCapsNow, interruptEndpoints: [...this.receivers.keys()] };
  }

  start(): void {
    if (this.phaseNow !== 'new') return;
    const { stream } = this.options;
    const onData = (chunk: Buffer) => this.onData(chunk);
    const onEnd = () => this.close('the peer closed the connection');
    const onError = (err: Error) => this.close(`stream error: ${err.message}`);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('close', onEnd);
    stream.on('error', onError);
    this.cleanups.push(() => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onEnd);
      stream.off('error', onError);
    });
    this.cleanups.push(this.device.events.on('connect', () => this.onDeviceConnect()));
    this.cleanups.push(this.device.events.on('disconnect', (why) => this.onDeviceDisconnect(why)));
    const resume = this.options.resume;
    if (resume) {
      this.peerCapsNow = resume.peerCaps;
      this.peerVersionNow = '(resumed)';
      this.wire = negotiateWire(HOST_CAPS, resume.peerCaps);
      this.phaseNow = 'ready';
      this.shown = this.device.isConnected();
      for (const ep of resume.interruptEndpoints) this.startReceiver(ep);
      this.log.info({ session: this.name, device: this.device.name }, 'usbredir session resumed');
      return;
    }
    this.phaseNow = 'awaiting-hello';
    this.send({ type: 'hello', id: 0n, version: HOST_VERSION, caps: [HOST_CAPS] });
    const timeout = this.options.helloTimeoutMs ?? 10_000;
    this.helloTimer = setTimeout(() => this.close(`no usbredir hello from the peer within ${timeout} ms`), timeout);
  }

  close(reason = 'closed by the agent'): void {
    if (this.phaseNow === 'closed') return;
    this.phaseNow = 'closed';
    if (this.helloTimer) clearTimeout(this.helloTimer);
    for (const stop of this.receivers.values()) stop();
    this.receivers.clear();
    this.cancellers.clear();
    for (const c of this.cleanups.splice(0)) c();
    const { stream } = this.options;
    // A late error from a stream we are done with must not become an uncaught exception.
    stream.on('error', () => undefined);
    stream.end();
    const killer = setTimeout(() => stream.destroy(), 2000);
    killer.unref();
    stream.once('close', () => clearTimeout(killer));
    this.log.info({ session: this.name, device: this.device.name, reason }, 'usbredir session closed');
    this.events.emit('closed', reason);
  }

  // ---- SessionCore: what the message handlers use ----

  send(m: UsbRedirMessage): void {
    if (this.phaseNow === 'closed') return;
    const { stream } = this.options;
    stream.write(encodeMessage(m, this.wire));
    const backlog = stream.writableLength;
    const max = this.options.maxWriteBacklog ?? 4 * 1024 * 1024;
    if (backlog > max) this.close(`the peer is not reading: ${backlog} bytes unsent`);
  }

  peerHas(cap: Parameters<typeof hasCap>[1]): boolean {
    return hasCap(this.peerCapsNow, cap);
  }

  /** Registers what answers a data packet as cancelled; the returned function unregisters it. */
  onCancel(id: bigint, cancel: () => void): () => void {
    const list = this.cancellers.get(id) ?? [];
    list.push(cancel);
    this.cancellers.set(id, list);
    return () => {
      const now = this.cancellers.get(id);
      if (!now) return;
      const rest = now.filter((c) => c !== cancel);
      if (rest.length === 0) this.cancellers.delete(id);
      else this.cancellers.set(id, rest);
    };
  }

  cancel(id: bigint): boolean {
    const list = this.cancellers.get(id);
    if (!list) return false;
    this.cancellers.delete(id);
    for (const c of list) c();
    return true;
  }

  /**
   * Takes the device's interrupt endpoints back after a session that had taken them over ended: a live migration
   * that failed, leaving this (the source's) session the guest's only one again.
   */
  reclaimReceivers(): void {
    if (this.phaseNow === 'closed') return;
    for (const ep of [...this.receivers.keys()]) this.startReceiver(ep);
  }

  startReceiver(endpoint: number): void {
    this.stopReceiver(endpoint);
    const generation = this.generationNow;
    const stop = this.device.startInterruptIn(endpoint, (result) => {
      if (this.phaseNow === 'closed' || generation !== this.generationNow) return;
      const data = result.data ?? new Uint8Array(0);
      this.send({
        type: 'interruptPacket',
        id: this.nextPacketId++,
        endpoint,
        status: statusCode(result.status),
        length: data.length,
        data,
      });
    });
    this.receivers.set(endpoint, stop);
  }

  stopReceiver(endpoint: number): boolean {
    const stop = this.receivers.get(endpoint);
    if (!stop) return false;
    this.receivers.delete(endpoint);
    stop();
    return true;
  }

  stopReceiversWhere(match: (endpoint: number) => boolean): void {
    for (const ep of [...this.receivers.keys()]) if (match(ep)) this.stopReceiver(ep);
  }

  sendInterfaceAndEpInfo(): void {
    if (!this.shown || !this.device.isConnected()) return;
    const [interfaceInfo, epInfo] = announceMessages(this.device.description());
    this.send(interfaceInfo!);
    this.send(epInfo!);
  }

  deviceAcknowledged(): void {
    if (!this.awaitingAck) return;
    this.awaitingAck = false;
    if (this.device.isConnected()) this.announce();
  }

  // ---- internals ----

  private onData(chunk: Buffer): void {
    if (this.phaseNow === 'closed') return;
    let messages: UsbRedirMessage[];
    try {
      messages = this.decoder.push(chunk);
    } catch (err) {
      this.log.warn(
        { session: this.name, device: this.device.name, err: errorMessage(err) },
        'usbredir protocol error from the peer; closing the session',
      );
      this.close(`protocol error: ${errorMessage(err)}`);
      return;
    }
    for (const m of messages) {
      if (!this.isAlive()) return;
      if (m.type === 'hello' && this.phaseNow === 'awaiting-hello') this.onHello(m.version, m.caps[0] ?? 0);
      else handleGuestMessage(this, m);
    }
  }

  private onHello(version: string, caps: number): void {
    if (this.helloTimer) clearTimeout(this.helloTimer);
    this.helloTimer = null;
    this.peerVersionNow = version;
    this.peerCapsNow = caps;
    this.wire = negotiateWire(HOST_CAPS, caps);
    this.phaseNow = 'ready';
    this.log.info(
      { session: this.name, device: this.device.name, peer: version, caps: `0x${caps.toString(16)}` },
      'usbredir peer said hello',
    );
    if (this.device.isConnected()) this.announce();
  }

  private announce(): void {
    if (this.phaseNow !== 'ready' || this.shown || this.awaitingAck) return;
    const messages = announceMessages(this.device.description());
    this.shown = true;
    for (const m of messages) this.send(m);
    this.log.info({ session: this.name, device: this.device.name }, 'usbredir device shown to the guest');
  }

  private onDeviceConnect(): void {
    this.announce();
  }

  private onDeviceDisconnect(why: string): void {
    if (this.phaseNow !== 'ready' || !this.shown) return;
    // Pending transfers end as cancelled before the disconnect, as the protocol says; late device answers are
    // dropped by generation.
    for (const id of [...this.cancellers.keys()]) this.cancel(id);
    this.stopReceiversWhere(() => true);
    this.generationNow++;
    this.shown = false;
    this.awaitingAck = this.peerHas('deviceDisconnectAck');
    this.send({ type: 'deviceDisconnect', id: 0n });
    this.log.info({ session: this.name, device: this.device.name, reason: why }, 'usbredir device gone from the guest');
  }
}
