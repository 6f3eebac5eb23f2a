import net from 'node:net';
import tls from 'node:tls';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import {
  FrameDecoder,
  MessageType,
  RelayProtocolError,
  encodeFrame,
  type Frame,
  type Payloads,
} from '../../relay/protocol.js';
import { PSK_CIPHERS } from '../../relay/psk.js';
import { systemClock, type Clock, type TimerHandle } from '../../util/clock.js';

export interface RelayLinkOptions {
  readonly host: string;
  readonly port: number;
  readonly identity: string;
  /** null: plain TCP (the agent's --insecure mode, loopback only). */
  readonly key: Buffer | null;
  readonly connectTimeoutMs: number;
  readonly requestTimeoutMs: number;
  /** Source address to connect from (a host with several). */
  readonly localAddress?: string;
  readonly onPush: (frame: Frame) => void;
  readonly onClose: (reason: string) => void;
  /** Runs the connect and request timeouts and stamps `lastFrameAt`; the system clock unless a test injects one. */
  readonly clock?: Clock;
}

type Reply<T extends MessageType> = Payloads[T];

interface Pending {
  resolve: (f: Frame) => void;
  reject: (e: Error) => void;
  timer: TimerHandle;
  expect: MessageType;
}

/**
 * One TLS connection to an agent: framing, numbered requests and their replies, pushes to `onPush`. It never
 * reconnects; the transport above it does. Only transport files touch node:tls on the appliance side.
 */
export class RelayLink {
  private socket: net.Socket | null = null;
  private readonly decoder = new FrameDecoder();
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  lastFrameAt = 0;
  private readonly clock: Clock;

  constructor(private readonly options: RelayLinkOptions) {
    this.clock = options.clock ?? systemClock;
  }

  connect(): Promise<void> {
    const o = this.options;
    return new Promise<void>((resolve, reject) => {
      const fail = (err: Error): void => {
        this.clock.clearTimeout(timer);
        this.close(err.message);
        reject(err);
      };
      const timer = this.clock.setTimeout(() => {
        fail(
          new UpsguardError(
            ErrorCode.RelayUnreachable,
            `connecting to ${o.host}:${o.port} timed out after ${o.connectTimeoutMs} ms`,
          ),
        );
      }, o.connectTimeoutMs);
      const ready = (): void => {
        this.clock.clearTimeout(timer);
        resolve();
      };
      const tcp = net.connect({ host: o.host, port: o.port, localAddress: o.localAddress });
      const socket = o.key
        ? tls.connect({
            socket: tcp,
            minVersion: 'TLSv1.3',
            ciphers: PSK_CIPHERS,
            // There is no certificate: the PSK authenticates both ends.
            checkServerIdentity: () => undefined,
            pskCallback: () => ({ identity: o.identity, psk: o.key! }),
          })
        : tcp;
      if (socket !== tcp) tcp.on('error', () => undefined);
      this.socket = socket;
      tcp.setNoDelay(true);
      tcp.setKeepAlive(true, 5000);
      socket.once(o.key ? 'secureConnect' : 'connect', ready);
      socket.on('data', (chunk: Buffer) => {
        this.onData(chunk);
      });
      socket.on('error', (err: Error & { code?: string }) => {
        if (!this.closed) fail(new UpsguardError(ErrorCode.RelayUnreachable, describeSocketError(err)));
      });
      socket.on('close', () => {
        this.close('connection closed by the agent');
      });
    });
  }

  isOpen(): boolean {
    return !this.closed && this.socket !== null;
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.socket?.destroy();
    for (const [id, p] of this.pending) {
      this.clock.clearTimeout(p.timer);
      p.reject(new UpsguardError(ErrorCode.RelayUnreachable, `relay request ${id} lost: ${reason}`));
    }
    this.pending.clear();
    this.options.onClose(reason);
  }

  send<T extends MessageType>(type: T, payload: Payloads[T]): void {
    if (!this.socket || this.closed) throw new UpsguardError(ErrorCode.RelayUnreachable, 'relay link is closed');
    this.socket.write(encodeFrame(type, 0, payload));
  }

  request<T extends MessageType, R extends MessageType>(type: T, payload: Payloads[T], expect: R): Promise<Reply<R>> {
    if (!this.socket || this.closed) {
      return Promise.reject(new UpsguardError(ErrorCode.RelayUnreachable, 'relay link is closed'));
    }
    const id = this.nextId++;
    const socket = this.socket;
    return new Promise<Reply<R>>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.pending.delete(id);
        reject(
          new UpsguardError(
            ErrorCode.TransportTimeout,
            `relay request timed out after ${this.options.requestTimeoutMs} ms`,
          ),
        );
      }, this.options.requestTimeoutMs);
      this.pending.set(id, {
        resolve: (f) => {
          resolve(f.payload as Reply<R>);
        },
        reject,
        timer,
        expect,
      });
      socket.write(encodeFrame(type, id, payload));
    });
  }

  private onData(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.decoder.push(chunk);
    } catch (err) {
      this.close(`malformed frame from the agent: ${errorMessage(err)}`);
      return;
    }
    this.lastFrameAt = this.clock.now();
    for (const f of frames) {
      if (f.requestId === 0) {
        this.options.onPush(f);
        continue;
      }
      const p = this.pending.get(f.requestId);
      if (!p) continue;
      this.pending.delete(f.requestId);
      this.clock.clearTimeout(p.timer);
      if (f.type === MessageType.Error) {
        const e = f.payload as Payloads[typeof MessageType.Error];
        p.reject(new RelayProtocolError(e.code, e.message));
      } else if (f.type !== p.expect) {
        p.reject(new RelayProtocolError('BAD_FRAME', `unexpected reply type ${f.type}`));
      } else {
        p.resolve(f);
      }
    }
  }
}

/** Names the usual failures in words a user can act on. */
export function describeSocketError(err: Error & { code?: string }): string {
  switch (err.code ?? '') {
    case 'ECONNREFUSED':
      return 'connection refused (is `upsguard relay` running there, on that port?)';
    case 'ERR_SSL_SSLV3_ALERT_ILLEGAL_PARAMETER':
    case 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE':
    case 'ERR_SSL_SSLV3_ALERT_DECRYPT_ERROR':
      return `TLS handshake refused by the agent: wrong pre-shared key or unknown identity (${err.code})`;
    case 'ECONNRESET':
      return 'connection reset';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `host unreachable (${err.code})`;
    default:
      return err.message;
  }
}
