import type { Socket } from 'node:net';
import { ErrorCode, UpsguardError, errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { ExportedDevice } from './exported-device.js';
import type { NumberedInput } from './input-ring.js';
import {
  FrameDecoder,
  MessageType,
  PROTOCOL_VERSION,
  RelayProtocolError,
  encodeFrame,
  fromHex,
  toHex,
  typeName,
  type Frame,
  type OpenMode,
  type Payloads,
  type RelayErrorCode,
} from './protocol.js';
import { selectDevice } from './selector.js';

/** What a session needs from the agent that accepted it. */
export interface SessionHost {
  readonly devices: readonly ExportedDevice[];
  readonly agentInstance: string;
  readonly agentHost: string;
  readonly log: Logger;
  now(): number;
  inventory(): Payloads[typeof MessageType.Devices]['devices'];
  hostDevices(): Promise<Payloads[typeof MessageType.Devices]['host']>;
  acquire(device: ExportedDevice, identity: string): { ok: true } | { ok: false; holder: string; until: number };
  holds(device: ExportedDevice, identity: string): boolean;
  release(device: ExportedDevice, identity: string): void;
  /** A session's handles changed: the inventory's consumer/state may have too. */
  changed(): void;
  /** A warning one client could repeat without end (reconnecting each time): rate-limited per key. */
  warnLimited(key: string, fields: Record<string, unknown>, msg: string): void;
}

interface Handle {
  readonly device: ExportedDevice;
  readonly mode: OpenMode;
  subscribed: boolean;
}

const MAX_BUFFERED_BYTES = 1_000_000;

class RequestError extends Error {
  constructor(
    readonly code: RelayErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * One client connection. It answers requests in order, pushes numbered input reports to its subscriptions, and is
 * closed (alone) on a malformed frame: the agent keeps serving everyone else.
 */
export class AgentSession {
  private readonly decoder = new FrameDecoder();
  private readonly handles = new Map<number, Handle>();
  private nextHandle = 1;
  private helloDone = false;
  private closed = false;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: Socket,
    readonly identity: string,
    private readonly host: SessionHost,
  ) {
    socket.on('data', (chunk: Buffer) => {
      this.onData(chunk);
    });
  }

  controls(device: ExportedDevice): boolean {
    for (const h of this.handles.values()) if (h.device === device && h.mode === 'control') return true;
    return false;
  }

  isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handles.clear();
    this.socket.destroy();
    this.host.changed();
  }

  pushInput(device: ExportedDevice, input: NumberedInput): void {
    for (const [handle, h] of this.handles) {
      if (h.device === device && h.subscribed) {
        this.send(MessageType.Input, 0, { handle, seq: input.seq, at: input.at, bytes: toHex(input.bytes) });
      }
    }
  }

  pushPlug(device: ExportedDevice, kind: 'attached' | 'detached' | 'replugged', reason: string): void {
    for (const [handle, h] of this.handles) {
      if (h.device === device) this.send(MessageType.DeviceEvent, 0, { handle, kind, reason });
    }
  }

  private send<T extends MessageType>(type: T, requestId: number, payload: Payloads[T]): void {
    if (this.closed) return;
    // A client that stops reading is dropped rather than buffered without bound; it resumes from its sequence number.
    if (this.socket.writableLength > MAX_BUFFERED_BYTES) {
      this.host.warnLimited(
        `unread ${this.identity}`,
        { identity: this.identity },
        'relay client not reading; dropping its connection',
      );
      this.close();
      return;
    }
    this.socket.write(encodeFrame(type, requestId, payload));
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      const message = errorMessage(err);
      this.host.warnLimited(
        `frame ${this.identity}`,
        { identity: this.identity, err: message },
        'malformed relay frame; closing that connection',
      );
      this.send(MessageType.Error, 0, {
        code: err instanceof RelayProtocolError ? err.relayCode : 'BAD_FRAME',
        message,
      });
      this.closed = true;
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
      this.host.changed();
      return;
    }
    for (const f of frames) {
      // Requests are answered in the order they came, so a resume's backlog precedes its reply.
      this.queue = this.queue.then(() => this.handle(f));
    }
  }

  private async handle(frame: Frame): Promise<void> {
    if (this.closed) return;
    try {
      await this.dispatch(frame);
    } catch (err) {
      const code: RelayErrorCode =
        err instanceof RequestError
          ? err.code
          : err instanceof UpsguardError && err.code === ErrorCode.TransportTimeout
            ? 'TIMEOUT'
            : err instanceof UpsguardError && err.code === ErrorCode.TransportClosed
              ? 'DEVICE_DETACHED'
              : 'IO';
      this.send(MessageType.Error, frame.requestId, { code, message: errorMessage(err) });
    }
  }

  private handleFor(id: number): Handle {
    const h = this.handles.get(id);
    if (!h) throw new RequestError('BAD_REQUEST', `no open handle ${id}`);
    return h;
  }

  private async dispatch(frame: Frame): Promise<void> {
    const { requestId } = frame;
    if (!this.helloDone && frame.type !== MessageType.Hello && frame.type !== MessageType.Ping) {
      throw new RequestError('BAD_REQUEST', `expected Hello first, got ${typeName(frame.type)}`);
    }
    switch (frame.type) {
      case MessageType.Hello: {
        const p = frame.payload as Payloads[typeof MessageType.Hello];
        if (!p.versions.includes(PROTOCOL_VERSION)) {
          throw new RequestError(
            'UNSUPPORTED_VERSION',
            `this agent speaks version ${PROTOCOL_VERSION}, not ${p.versions.join(', ')}`,
          );
        }
        this.helloDone = true;
        this.host.log.info(
          { identity: this.identity, client: p.client, remote: this.socket.remoteAddress },
          'relay client connected',
        );
        this.send(MessageType.Welcome, requestId, {
          version: PROTOCOL_VERSION,
          agentHost: this.host.agentHost,
          agentInstance: this.host.agentInstance,
          identity: this.identity,
          capabilities: ['resume', 'claims', 'inventory'],
        });
        return;
      }
      case MessageType.Ping:
        this.send(MessageType.Pong, requestId, { t: (frame.payload as Payloads[typeof MessageType.Ping]).t });
        return;
      case MessageType.ListDevices:
        this.send(MessageType.Devices, requestId, {
          devices: this.host.inventory(),
          host: await this.host.hostDevices(),
        });
        return;
      case MessageType.Open: {
        const p = frame.payload as Payloads[typeof MessageType.Open];
        const device = selectDevice(this.host.devices, p.selector);
        if (typeof device === 'string') throw new RequestError('NO_DEVICE', device);
        if (p.mode === 'control') {
          const r = this.host.acquire(device, this.identity);
          if (!r.ok) {
            throw new RequestError(
              'CLAIM_BUSY',
              `${device.name} is controlled by ${r.holder} (lease until ${new Date(r.until).toISOString()}); open it to observe, or release the claim with: upsguard relay release ${device.name}`,
            );
          }
        }
        const handle = this.nextHandle++;
        this.handles.set(handle, { device, mode: p.mode, subscribed: false });
        this.host.changed();
        const known = device.lastDescriptor();
        const inventoryRow = this.host.inventory().find((d) => d.name === device.name)!;
        this.send(MessageType.Opened, requestId, {
          handle,
          device: inventoryRow,
          descriptor: known ? toHex(known.bytes) : '',
          descriptorSha256: known?.sha256 ?? '',
          connected: device.isConnected(),
          seq: device.ring.lastSeq,
        });
        return;
      }
      case MessageType.Subscribe: {
        const p = frame.payload as Payloads[typeof MessageType.Subscribe];
        const h = this.handleFor(p.handle);
        const sameAgent = p.agentInstance === this.host.agentInstance;
        const backlog = sameAgent && p.since !== null ? h.device.ring.since(p.since) : null;
        for (const input of backlog ?? []) {
          this.send(MessageType.Input, 0, {
            handle: p.handle,
            seq: input.seq,
            at: input.at,
            bytes: toHex(input.bytes),
          });
        }
        h.subscribed = true;
        this.send(MessageType.Subscribed, requestId, { resumed: backlog !== null, seq: h.device.ring.lastSeq });
        return;
      }
      case MessageType.GetFeature: {
        const p = frame.payload as Payloads[typeof MessageType.GetFeature];
        const h = this.handleFor(p.handle);
        if (!h.device.isConnected())
          throw new RequestError('DEVICE_DETACHED', `${h.device.name} is detached at the agent`);
        const bytes = await h.device.getFeature(p.reportId, p.length);
        this.send(MessageType.Report, requestId, { bytes: toHex(bytes) });
        return;
      }
      case MessageType.SetFeature: {
        const p = frame.payload as Payloads[typeof MessageType.SetFeature];
        const h = this.handleFor(p.handle);
        const bytes = fromHex(p.bytes);
        const reportId = bytes[0] ?? 0;
        if (h.mode !== 'control' || !this.host.holds(h.device, this.identity)) {
          throw new RequestError(
            'NOT_CONTROLLER',
            `${this.identity} does not hold the controller claim on ${h.device.name}`,
          );
        }
        if (!h.device.canWrite(reportId)) {
          throw new RequestError(
            'WRITE_DENIED',
            `feature report ${reportId} of ${h.device.name} is not writable through the relay (only delays, battery test and beeper are)`,
          );
        }
        if (!h.device.isConnected())
          throw new RequestError('DEVICE_DETACHED', `${h.device.name} is detached at the agent`);
        this.host.log.info({ identity: this.identity, device: h.device.name, reportId, bytes: p.bytes }, 'relay write');
        await h.device.setFeature(bytes);
        this.send(MessageType.Ok, requestId, {});
        return;
      }
      case MessageType.GetString: {
        const p = frame.payload as Payloads[typeof MessageType.GetString];
        const h = this.handleFor(p.handle);
        this.send(MessageType.StringValue, requestId, { value: (await h.device.getString(p.index)) ?? null });
        return;
      }
      case MessageType.Release: {
        const p = frame.payload as Payloads[typeof MessageType.Release];
        const h = this.handleFor(p.handle);
        if (h.mode === 'control') this.host.release(h.device, this.identity);
        this.handles.delete(p.handle);
        this.host.changed();
        this.send(MessageType.Ok, requestId, {});
        return;
      }
      default:
        throw new RequestError('BAD_REQUEST', `${typeName(frame.type)} is not a request an agent answers`);
    }
  }
}
