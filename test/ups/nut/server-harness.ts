import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { createLogger } from '../../../src/log.js';
import type { UpsSnapshot } from '../../../src/ups/events.js';
import type { UpsCommand } from '../../../src/ups/pdc/index.js';
import type { NutUser } from '../../../src/ups/nut/nut-auth.js';
import { NutServer, type NutServerSettings } from '../../../src/ups/nut/nut-server.js';
import type { NutServedUps } from '../../../src/ups/nut/ups-view.js';
import type { Clock } from '../../../src/util/clock.js';

export const USERS: NutUser[] = [
  { name: 'monuser', password: 'monpass1', upsmon: 'secondary', actions: [], instcmds: [] },
  { name: 'primary', password: 'primpass1', upsmon: 'primary', actions: [], instcmds: [] },
  { name: 'admin', password: 'adminpass', actions: ['SET', 'FSD'], instcmds: ['beeper.mute', 'shutdown.return'] },
];

/** A UPS as the monitor would show it, changeable by the test. */
export class FakeUps implements NutServedUps {
  commands: { cmd: UpsCommand; opts: { offDelay?: number; onDelay?: number } }[] = [];
  failCommands = false;
  current: UpsSnapshot = {
    ups: 'rack',
    at: 1,
    variables: {
      'battery.charge': '100',
      'device.model': 'Back-UPS "500" #1',
      'outlet.1.status': 'on',
      'ups.delay.shutdown': '20',
      'ups.status': 'OL',
    },
    status: ['OL'],
    comms: 'ok',
    lastContactAt: 1,
  };
  readonly description: string | undefined;
  constructor(
    readonly name = 'rack',
    description: string | null = 'Rack UPS',
  ) {
    this.description = description ?? undefined;
  }
  snapshot(): UpsSnapshot {
    return this.current;
  }
  supportedCommands(): readonly UpsCommand[] {
    return ['shutdown.return', 'beeper.mute'];
  }
  command(cmd: UpsCommand, opts: { offDelay?: number; onDelay?: number }): Promise<void> {
    this.commands.push({ cmd, opts });
    return this.failCommands ? Promise.reject(new Error('device said no')) : Promise.resolve();
  }
}

export const DEFAULT_SETTINGS: NutServerSettings = {
  host: '127.0.0.1',
  port: 0,
  maxConnections: 16,
  maxLineLength: 256,
  idleTimeoutMs: 60_000,
  commandTimeoutMs: 1000,
  handshakeTimeoutMs: 2000,
  loginFailures: 3,
  loginFailureWindowMs: 60_000,
  loginBlockMs: 60_000,
};

export async function startServer(
  clock: Clock,
  ups: NutServedUps[],
  settings: Partial<NutServerSettings> = {},
): Promise<{ server: NutServer; port: number; logs: string[] }> {
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const server = new NutServer({
    settings: { ...DEFAULT_SETTINGS, ...settings },
    users: USERS,
    ups,
    clock,
    log: createLogger({ level: 'debug', destination: sink }),
    version: '9.9.9',
  });
  await server.start();
  return { server, port: server.address()!.port, logs };
}

/** A bare line client: sends raw bytes, reads reply lines. */
export class LineClient {
  private buf = '';
  private waiters: (() => void)[] = [];
  closed = false;
  private constructor(readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      this.buf += d;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('close', () => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
    });
    socket.on('error', () => undefined);
  }
  static open(port: number): Promise<LineClient> {
    return new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1', () => resolve(new LineClient(s)));
      s.once('error', reject);
    });
  }
  /** Sends one request and reads `n` reply lines (a LIST: up to its END line). */
  async ask(line: string, n?: number): Promise<string[]> {
    this.socket.write(`${line}\n`);
    return this.read(n);
  }
  async read(n?: number, timeoutMs = 3000): Promise<string[]> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.buf.split('\n');
      const complete = lines.slice(0, -1);
      const isList = complete[0]?.startsWith('BEGIN LIST');
      const endAt = isList ? complete.findIndex((l) => l.startsWith('END LIST')) : -1;
      const take = n ?? (isList ? (endAt >= 0 ? endAt + 1 : Infinity) : 1);
      if (complete.length >= take) {
        this.buf = lines.slice(take).join('\n');
        return complete.slice(0, take);
      }
      if (this.closed || Date.now() > end) throw new Error(`no reply (have ${JSON.stringify(this.buf)})`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 50);
      });
    }
  }
  /** What has arrived and not been read yet. */
  buffered(): string {
    return this.buf;
  }
  waitClosed(timeoutMs = 3000): Promise<boolean> {
    return new Promise((resolve) => {
      if (this.closed) {
        resolve(true);
        return;
      }
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }
  end(): void {
    this.socket.destroy();
  }
}
