import { hostname } from 'node:os';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { UpsEvent, UpsSnapshot } from '../../ups/events.js';
import type { Clock } from '../../util/clock.js';
import { ConnectionLimits, remoteKey } from '../../util/connection-limits.js';
import { waitAtMost } from '../../util/timeout.js';
import type { Part } from '../../app/part.js';
import { NisRequestReader, encodeReply } from './nis-codec.js';
import { nisEventLines, nisStatusLines } from './nis-status.js';

export interface ApcupsdNisOptions {
  readonly host: string;
  readonly port: number;
  /** The UPS served (apcupsd's NIS serves one); its snapshot and recent events are read per request. */
  readonly ups: () => { name: string; snapshot(): UpsSnapshot } | undefined;
  readonly events: (ups: string, limit: number) => readonly UpsEvent[];
  readonly clock: Clock;
  readonly log: Logger;
  readonly version: string;
  /** A client that sends no complete request for this long is dropped. */
  readonly idleTimeoutMs?: number;
  readonly maxConnections?: number;
}

const EVENTS_SENT = 50;
const STOP_WAIT_MS = 2000;

/**
 * apcupsd's Network Information Server (TCP 3551) for one UPS upsguard watches, so apcaccess and Home Assistant's
 * apcupsd integration can follow it. Read-only: `status` and `events`; anything else gets no records, as apcupsd's
 * own answer to an unknown command is "Invalid command".
 */
export class ApcupsdNisPart implements Part {
  readonly name = 'apcupsd-nis';
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private startedAt = 0;

  constructor(private readonly o: ApcupsdNisOptions) {}

  async start(): Promise<void> {
    if (this.server) return;
    this.startedAt = this.o.clock.now();
    const limits = new ConnectionLimits({ total: this.o.maxConnections ?? 16, perAddress: 4 });
    const server = createServer((socket) => {
      this.accept(socket, limits);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'EADDRINUSE' ? 'the port is in use' : errorMessage(e);
        reject(
          new UpsguardError(
            ErrorCode.TransportIo,
            `apcupsd NIS cannot listen on ${this.o.host}:${this.o.port}: ${why}`,
          ),
        );
      });
      server.listen(this.o.port, this.o.host, () => resolve());
    });
    server.on('error', (e) => this.o.log.error({ part: this.name, err: errorMessage(e) }, 'apcupsd NIS error'));
    this.server = server;
    const a = this.address();
    this.o.log.info({ part: this.name, host: a?.host, port: a?.port }, 'apcupsd NIS listening');
  }

  address(): { host: string; port: number } | null {
    const a = this.server?.address() as AddressInfo | null | undefined;
    return a ? { host: a.address, port: a.port } : null;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const s of this.sockets) s.destroy();
    await waitAtMost(closed, STOP_WAIT_MS);
  }

  private accept(socket: Socket, limits: ConnectionLimits): void {
    const address = remoteKey(socket.remoteAddress);
    socket.on('error', () => undefined);
    if (limits.admitSocket(socket, address) !== null) {
      socket.destroy();
      return;
    }
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.setTimeout(this.o.idleTimeoutMs ?? 60_000, () => socket.destroy());
    const reader = new NisRequestReader();
    socket.on('data', (chunk: Buffer) => {
      let requests: string[];
      try {
        requests = reader.push(chunk);
      } catch (e) {
        this.o.log.info({ part: this.name, address, err: errorMessage(e) }, 'apcupsd NIS request not understood');
        socket.destroy();
        return;
      }
      for (const r of requests) socket.write(this.answer(r.replace(/\0+$/, '').trim()));
    });
  }

  private answer(request: string): Buffer {
    const ups = this.o.ups();
    const now = this.o.clock.now();
    if (request === 'status') {
      if (!ups) return encodeReply([]);
      const id = { upsName: ups.name, hostname: hostname(), version: this.o.version, startedAt: this.startedAt };
      return encodeReply(nisStatusLines(ups.snapshot(), id, now));
    }
    if (request === 'events') return encodeReply(ups ? nisEventLines(this.o.events(ups.name, EVENTS_SENT)) : []);
    return encodeReply(['Invalid command']);
  }
}
