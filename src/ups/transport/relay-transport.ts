import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import {
  MessageType,
  RelayProtocolError,
  fromHex,
  toHex,
  type ExportedDeviceInfo,
  type Frame,
  type OpenMode,
  type Payloads,
} from '../../relay/protocol.js';
import { systemClock, type Clock, type TimerHandle } from '../../util/clock.js';
import { Listeners } from '../../util/listeners.js';
import { backoffMs, withTimeout } from '../../util/timeout.js';
import type { HidDeviceInfo, HidTransport, HidTransportEvents } from './hid-transport.js';
import { RelayLink } from './relay-link.js';
import { formatRelayUrl, type RelayAddress } from './relay-url.js';

export interface RelayTransportOptions {
  readonly address: RelayAddress;
  readonly identity: string;
  readonly key: Buffer | null;
  readonly mode: OpenMode;
  readonly clientName: string;
  readonly heartbeatMs: number;
  /** No link for this long: the relay is lost (the monitor then sees the UPS as not connected: COMMBAD). */
  readonly lostAfterMs: number;
  readonly requestTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly reconnectBaseMs: number;
  readonly reconnectMaxMs: number;
  readonly localAddress?: string;
  readonly onListenerError?: (event: string, err: unknown) => void;
  readonly onLog?: (message: string, details: Record<string, unknown>) => void;
  readonly random?: () => number;
  /** Every timer (heartbeat, lost-after, reconnect backoff, request limits); the system clock unless injected. */
  readonly clock?: Clock;
}

const FAST_RETRY_CAP_MS = 800;

export type RelayLinkState = 'connecting' | 'connected' | 'reconnecting' | 'unreachable';

/**
 * The claim the agent actually granted on the current link, not the configured mode: `controller` only after an
 * Opened reply to a control open; `refused` when the agent said no (CLAIM_BUSY, or NOT_CONTROLLER on a write after
 * the lease went to another); `none` before any answer or while the link is down.
 */
export type RelayClaim = 'controller' | 'observer' | 'refused' | 'none';

/** Requests that only read, so one lost with its link inside the lost window is sent again on the next link. */
const IDEMPOTENT: ReadonlySet<MessageType> = new Set([
  MessageType.GetFeature,
  MessageType.GetString,
  MessageType.ListDevices,
]);

export interface RelayStatus {
  readonly url: string;
  readonly agentHost: string | null;
  readonly link: RelayLinkState;
  /** Whether the UPS is attached at the agent; distinct from whether the agent can be reached. */
  readonly device: 'attached' | 'detached' | 'unknown';
  readonly rttMs: number | null;
  readonly lastSeq: number | null;
  /** Whether this client holds the controller claim right now (the agent granted it), whatever the configured mode. */
  readonly controller: boolean;
  readonly claim: RelayClaim;
  /** Why the configured control claim is not held, e.g. `CLAIM_BUSY: ups is controlled by vm1 (lease until …)`. */
  readonly claimProblem: string | null;
  readonly problem: string | null;
}

/**
 * A UPS on another host through `upsguard relay`. It survives what a live migration does to TCP: a link that drops
 * is re-made with capped exponential backoff and jitter and the input stream resumes from the last sequence number
 * (a full re-read when the agent restarted). Requests made during a short gap wait for the link; only after
 * `lostAfterMs` is the relay declared lost, and only then does the UPS count as not connected.
 */
export class RelayTransport implements HidTransport {
  readonly kind = 'relay' as const;
  readonly events: Listeners<HidTransportEvents>;
  private link: RelayLink | null = null;
  private state: RelayLinkState = 'connecting';
  private stopped = true;
  private handle = 0;
  private descriptor: Uint8Array | null = null;
  private device: ExportedDeviceInfo | null = null;
  private deviceAttached: boolean | null = null;
  private reportedConnected = false;
  private agentHost: string | null = null;
  private agentInstance: string | null = null;
  private lastSeq: number | null = null;
  private rttMs: number | null = null;
  private problem: string | null = null;
  private attempt = 0;
  private downSince = 0;
  private retryTimer: TimerHandle | null = null;
  private lostTimer: TimerHandle | null = null;
  private heartbeat: TimerHandle | null = null;
  private waiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  private claim: RelayClaim = 'none';
  private claimProblem: string | null = null;
  private readonly clock: Clock;

  constructor(private readonly options: RelayTransportOptions) {
    this.events = new Listeners<HidTransportEvents>(options.onListenerError);
    this.clock = options.clock ?? systemClock;
  }

  /** Starts connecting; resolves after the first attempt, connected or not (the agent may come later). */
  async open(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.downSince = this.clock.now();
    this.armLostTimer();
    await this.connect();
  }

  async close(): Promise<void> {
    this.stopped = true;
    for (const t of [this.retryTimer, this.lostTimer, this.heartbeat]) if (t) this.clock.clearTimeout(t);
    this.retryTimer = this.lostTimer = this.heartbeat = null;
    if (this.claim !== 'refused') this.claim = 'none';
    this.link?.close('closed');
    this.link = null;
    this.failWaiters(new UpsguardError(ErrorCode.TransportClosed, 'relay transport closed'));
    if (this.reportedConnected) {
      this.reportedConnected = false;
      this.events.emit('connection', 'disconnected', 'closed');
    }
    return Promise.resolve();
  }

  isConnected(): boolean {
    return this.reportedConnected;
  }

  status(): RelayStatus {
    return {
      url: formatRelayUrl(this.options.address),
      agentHost: this.agentHost,
      link: this.state,
      device: this.deviceAttached === null ? 'unknown' : this.deviceAttached ? 'attached' : 'detached',
      rttMs: this.rttMs,
      lastSeq: this.lastSeq,
      controller: this.claim === 'controller',
      claim: this.claim,
      claimProblem: this.claimProblem,
      problem: this.problem,
    };
  }

  /** Why the UPS is not reachable through the relay, empty while it is. */
  lastProblem(): string {
    return this.reportedConnected ? '' : (this.problem ?? '');
  }

  info(): HidDeviceInfo {
    const d = this.device;
    return {
      vendorId: d?.vendorId ?? 0,
      productId: d?.productId ?? 0,
      manufacturer: d?.manufacturer ?? undefined,
      product: d?.product ?? undefined,
      serial: d?.serial ?? undefined,
      portPath: d?.portPath ?? undefined,
      location: formatRelayUrl(this.options.address),
    };
  }

  async reportDescriptor(): Promise<Uint8Array> {
    if (!this.descriptor || this.descriptor.length === 0) {
      throw new UpsguardError(ErrorCode.TransportClosed, 'the agent has not read this UPS yet (detached at the agent)');
    }
    return Promise.resolve(Uint8Array.from(this.descriptor));
  }

  async getFeatureReport(reportId: number, length: number): Promise<Uint8Array> {
    const r = await this.call(MessageType.GetFeature, { handle: this.handle, reportId, length }, MessageType.Report);
    return fromHex(r.bytes);
  }

  async sendFeatureReport(data: Uint8Array): Promise<void> {
    await this.call(MessageType.SetFeature, { handle: this.handle, bytes: toHex(data) }, MessageType.Ok);
  }

  async getString(index: number): Promise<string | undefined> {
    if (!Number.isInteger(index) || index < 1 || index > 255) return undefined;
    try {
      const r = await this.call(MessageType.GetString, { handle: this.handle, index }, MessageType.StringValue);
      return r.value ?? undefined;
    } catch {
      return undefined;
    }
  }

  /** The agent's inventory, as `upsguard devices --relay` shows it. */
  async listDevices(): Promise<ExportedDeviceInfo[]> {
    return (await this.call(MessageType.ListDevices, {}, MessageType.Devices)).devices;
  }

  /** The agent's exported devices and its host's USB devices, as one ListDevices answer carries both. */
  async inventory(): Promise<Payloads[typeof MessageType.Devices]> {
    return await this.call(MessageType.ListDevices, {}, MessageType.Devices);
  }

  /** Gives the controller claim back (a clean hand-over); the lease would otherwise run out by itself. */
  async release(): Promise<void> {
    await this.call(MessageType.Release, { handle: this.handle }, MessageType.Ok);
  }

  /**
   * A request that waits out a short link gap (a migration) rather than failing at once: it waits for the link, and a
   * read lost with its link (or unanswered) inside the lost window is sent again, so the UPS only counts as lost
   * (COMMBAD) once the relay is.
   */
  private async call<T extends MessageType, R extends MessageType>(
    type: T,
    payload: Payloads[T],
    expect: R,
  ): Promise<Payloads[R]> {
    const started = this.clock.now();
    for (;;) {
      if (this.stopped) throw new UpsguardError(ErrorCode.TransportClosed, 'relay transport closed');
      if (!this.reportedConnected && this.state === 'unreachable') {
        throw new UpsguardError(ErrorCode.TransportClosed, `relay unreachable: ${this.problem ?? 'no link'}`);
      }
      if (this.deviceAttached === false) {
        throw new UpsguardError(ErrorCode.TransportClosed, 'UPS detached at the agent');
      }
      if (!this.link?.isOpen() || this.state !== 'connected') {
        await new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
      }
      const link = this.link!;
      try {
        return await link.request(
          type,
          { ...payload, ...('handle' in payload ? { handle: this.handle } : {}) },
          expect,
        );
      } catch (err) {
        if (err instanceof RelayProtocolError && err.relayCode === 'NOT_CONTROLLER') this.refuse(err);
        const linkLoss =
          err instanceof UpsguardError &&
          (err.code === ErrorCode.RelayUnreachable || err.code === ErrorCode.TransportTimeout);
        const inWindow = this.clock.now() - started < this.options.lostAfterMs;
        if (!IDEMPOTENT.has(type) || !linkLoss || !inWindow) throw err;
        // Sent again on this link if it is still up (a slow answer), else on the next one (the loop checks stopped).
      }
    }
  }

  private refuse(err: RelayProtocolError): void {
    this.claim = 'refused';
    this.claimProblem = `${err.relayCode}: ${err.message}`;
  }

  private failWaiters(err: Error): void {
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.reject(err);
  }

  private wakeWaiters(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const x of w) x.resolve();
  }

  private armLostTimer(): void {
    if (this.lostTimer) return;
    const left = Math.max(0, this.options.lostAfterMs - (this.clock.now() - this.downSince));
    this.lostTimer = this.clock.setTimeout(() => {
      this.lostTimer = null;
      if (this.state === 'connected' || this.stopped) return;
      this.state = 'unreachable';
      const reason = `relay unreachable for ${Math.round((this.clock.now() - this.downSince) / 1000)} s: ${this.problem ?? 'no link'}`;
      this.failWaiters(new UpsguardError(ErrorCode.TransportClosed, reason));
      if (this.reportedConnected) {
        this.reportedConnected = false;
        this.events.emit('connection', 'disconnected', reason);
      }
    }, left);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const o = this.options;
    const link = new RelayLink({
      host: o.address.host,
      port: o.address.port,
      identity: o.identity,
      key: o.key,
      connectTimeoutMs: o.connectTimeoutMs,
      requestTimeoutMs: o.requestTimeoutMs,
      localAddress: o.localAddress,
      clock: this.clock,
      onPush: (f) => {
        this.onPush(f);
      },
      onClose: (reason) => {
        if (this.link === link) this.onLinkDown(reason);
      },
    });
    this.link = link;
    try {
      await link.connect();
      const welcome = await link.request(
        MessageType.Hello,
        { versions: [1], client: o.clientName, capabilities: ['resume'] },
        MessageType.Welcome,
      );
      const restarted = this.agentInstance !== null && this.agentInstance !== welcome.agentInstance;
      this.agentHost = welcome.agentHost;
      const opened = await link.request(
        MessageType.Open,
        { selector: o.address.selector, mode: o.mode },
        MessageType.Opened,
      );
      this.handle = opened.handle;
      this.device = opened.device;
      // The agent answers a control open only when it granted the claim (else CLAIM_BUSY); it also names the holder.
      const granted = o.mode === 'control' && (opened.device.controller ?? o.identity) === o.identity;
      this.claim = o.mode === 'control' ? (granted ? 'controller' : 'refused') : 'observer';
      this.claimProblem = o.mode === 'control' && !granted ? `claim held by ${opened.device.controller}` : null;
      if (opened.descriptor !== '') this.descriptor = fromHex(opened.descriptor);
      // Inputs the agent replays arrive before this reply, in order, through onPush.
      const sub = await link.request(
        MessageType.Subscribe,
        { handle: this.handle, since: this.lastSeq, agentInstance: this.agentInstance },
        MessageType.Subscribed,
      );
      this.agentInstance = welcome.agentInstance;
      if (!sub.resumed) this.lastSeq = sub.seq;
      this.state = 'connected';
      this.problem = null;
      this.attempt = 0;
      if (this.lostTimer) this.clock.clearTimeout(this.lostTimer);
      this.lostTimer = null;
      this.startHeartbeat(link);
      const fullReread = restarted || (!sub.resumed && this.reportedConnected);
      this.setAttached(
        opened.connected,
        fullReread ? 'agent restarted or backlog lost: full re-read' : `relay to ${welcome.agentHost}`,
        fullReread ? 'reread' : 'none',
      );
      this.wakeWaiters();
    } catch (err) {
      const busy = err instanceof RelayProtocolError && err.relayCode === 'CLAIM_BUSY';
      if (busy) this.refuse(err);
      this.problem = busy ? err.message : errorMessage(err);
      link.close(this.problem);
    }
  }

  /**
   * `cycle`: the device itself went and came back at the agent (a re-plug): disconnected, then connected. `reread`: the
   * device stayed but what was seen of it may be stale (agent restart, lost backlog): connected again, without a
   * disconnect, which tells the reader to read in full (a link blip that the lost window covers is no COMMBAD).
   */
  private setAttached(attached: boolean, reason: string, force: 'none' | 'cycle' | 'reread' = 'none'): void {
    this.deviceAttached = attached;
    if (attached && force === 'cycle' && this.reportedConnected) {
      this.reportedConnected = false;
      this.events.emit('connection', 'disconnected', reason);
    }
    if (attached && force === 'reread' && this.reportedConnected) {
      this.events.emit('connection', 'connected', reason);
    } else if (attached && !this.reportedConnected) {
      this.reportedConnected = true;
      this.events.emit('connection', 'connected', reason);
    } else if (!attached && this.reportedConnected) {
      this.reportedConnected = false;
      this.events.emit('connection', 'disconnected', 'UPS detached at the agent');
    }
  }

  private onPush(f: Frame): void {
    switch (f.type) {
      case MessageType.Input: {
        const p = f.payload as Payloads[typeof MessageType.Input];
        if (p.handle !== this.handle) return;
        // A replay may overlap what was already seen: never deliver a report twice.
        if (this.lastSeq !== null && p.seq <= this.lastSeq) return;
        this.lastSeq = p.seq;
        if (this.reportedConnected) this.events.emit('input', fromHex(p.bytes), p.at);
        return;
      }
      case MessageType.DeviceEvent: {
        const p = f.payload as Payloads[typeof MessageType.DeviceEvent];
        if (p.handle !== this.handle) return;
        this.options.onLog?.('relay device event', { kind: p.kind, reason: p.reason });
        if (p.kind === 'detached') this.setAttached(false, p.reason);
        else {
          // After a re-plug the agent has re-read the descriptor; fetch it with a fresh open on the next link.
          this.setAttached(true, `UPS ${p.kind} at the agent`, 'cycle');
        }
        return;
      }
      case MessageType.Pong: {
        const p = f.payload as Payloads[typeof MessageType.Pong];
        this.rttMs = Math.round((performance.now() - p.t) * 1000) / 1000;
        return;
      }
      case MessageType.Error: {
        const p = f.payload as Payloads[typeof MessageType.Error];
        this.problem = `${p.code}: ${p.message}`;
        return;
      }
      default:
        return;
    }
  }

  private startHeartbeat(link: RelayLink): void {
    if (this.heartbeat) this.clock.clearTimeout(this.heartbeat);
    const beat = (): void => {
      this.heartbeat = null;
      if (this.stopped || this.link !== link || !link.isOpen()) return;
      // Half-open links (a partition) carry no error: silence longer than the lost time ends them.
      if (this.clock.now() - link.lastFrameAt > this.options.lostAfterMs) {
        link.close('no frame from the agent within the lost time');
        return;
      }
      try {
        link.send(MessageType.Ping, { t: performance.now() });
      } catch {
        // The close handler takes it from here.
      }
      this.heartbeat = this.clock.setTimeout(beat, this.options.heartbeatMs);
    };
    this.heartbeat = this.clock.setTimeout(beat, this.options.heartbeatMs);
  }

  private onLinkDown(reason: string): void {
    if (this.heartbeat) this.clock.clearTimeout(this.heartbeat);
    this.heartbeat = null;
    this.link = null;
    // A claim is held on a link: none while it is down (a refusal stays until an open is granted).
    if (this.claim !== 'refused') this.claim = 'none';
    if (this.stopped) return;
    if (this.state === 'connected') {
      this.downSince = this.clock.now();
      this.state = 'reconnecting';
      this.options.onLog?.('relay link lost; reconnecting', { reason });
    }
    this.problem = reason;
    this.armLostTimer();
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.retryTimer) return;
    // Inside the lost window (a migration, a switch reboot) keep trying at least every FAST_RETRY_CAP_MS, so the stream
    // resumes within a second of the network coming back; past it, back off to the configured maximum.
    const inGrace = this.clock.now() - this.downSince < this.options.lostAfterMs;
    const cap = inGrace ? Math.min(this.options.reconnectMaxMs, FAST_RETRY_CAP_MS) : this.options.reconnectMaxMs;
    const delay = backoffMs(this.attempt++, this.options.reconnectBaseMs, cap, this.options.random);
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = null;
      void withTimeout(this.connect(), this.options.connectTimeoutMs * 4, 'relay reconnect', this.clock).catch(
        () => undefined,
      );
    }, delay);
  }
}
