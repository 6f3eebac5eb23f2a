import { connect as netConnect, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import { redactNutRequest } from '../../util/redact.js';
import { LineSplitter } from './line-codec.js';
import { parseErr } from './protocol.js';
import { upgradeClient } from './tls.js';

/**
 * The server answered `ERR <code>`; `nutCode` is the code (clients match on it, never on the text). `request` is
 * quoted redacted: USERNAME and PASSWORD never carry their argument into the message.
 */
export class NutReplyError extends UpsguardError {
  constructor(
    readonly nutCode: string,
    request: string,
  ) {
    super(
      nutCode === 'DATA-STALE' || nutCode === 'DRIVER-NOT-CONNECTED' ? ErrorCode.NutUnavailable : ErrorCode.NutRefused,
      `NUT server answered ERR ${nutCode} to ${redactNutRequest(request)}`,
      { nutCode },
    );
  }
}

export interface NutConnectionOptions {
  readonly host: string;
  readonly port: number;
  /** Limit on connecting, the TLS handshake and every request. */
  readonly timeoutMs: number;
  readonly starttls: 'off' | 'try' | 'require';
  readonly ca?: Buffer | undefined;
}

interface Waiter {
  /** The request as it may be quoted (first words, credentials redacted); the line itself is never kept. */
  readonly request: string;
  readonly list: boolean;
  readonly lines: string[];
  resolve(lines: string[]): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
}

/** Largest reply line accepted from a server (a LIST VAR line is far shorter). */
const MAX_REPLY_LINE = 64 * 1024;

/**
 * One client connection to a NUT server: requests are written in order and answered in order. A request that times
 * out or a reply that makes no sense closes the connection, because the stream can no longer be trusted in step.
 */
export class NutConnection {
  private io: Socket | TLSSocket;
  private readonly waiters: Waiter[] = [];
  private splitter = new LineSplitter(MAX_REPLY_LINE);
  private closedWith: Error | null = null;
  private readonly closeListeners: ((reason: string) => void)[] = [];
  tls = false;

  private constructor(
    private readonly raw: Socket,
    private readonly options: NutConnectionOptions,
  ) {
    this.io = raw;
    raw.setNoDelay(true);
    raw.on('error', (e) => {
      this.fail(new UpsguardError(ErrorCode.TransportIo, `NUT connection error: ${errorMessage(e)}`));
    });
    raw.on('close', () => {
      this.fail(new UpsguardError(ErrorCode.TransportClosed, 'NUT server closed the connection'));
    });
    this.listen(raw);
  }

  static async open(options: NutConnectionOptions): Promise<NutConnection> {
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = netConnect({ host: options.host, port: options.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(
          new UpsguardError(
            ErrorCode.TransportTimeout,
            `connecting to NUT server ${options.host}:${options.port} timed out`,
          ),
        );
      }, options.timeoutMs);
      s.once('connect', () => {
        clearTimeout(timer);
        s.removeAllListeners('error');
        resolve(s);
      });
      s.once('error', (e) => {
        clearTimeout(timer);
        reject(
          new UpsguardError(
            ErrorCode.TransportIo,
            `cannot reach NUT server ${options.host}:${options.port}: ${errorMessage(e)}`,
          ),
        );
      });
    });
    const conn = new NutConnection(socket, options);
    if (options.starttls !== 'off') {
      try {
        await conn.startTls();
      } catch (e) {
        if (options.starttls === 'require' || !(e instanceof NutReplyError)) {
          conn.close();
          throw e;
        }
      }
    }
    return conn;
  }

  onClose(fn: (reason: string) => void): void {
    this.closeListeners.push(fn);
  }

  get closed(): boolean {
    return this.closedWith !== null;
  }

  /** A one-line request; resolves with the reply line, rejects with NutReplyError on `ERR`. */
  async request(line: string): Promise<string> {
    const [reply = ''] = await this.send(line, false);
    return reply;
  }

  /** A LIST request; resolves with the lines between BEGIN LIST and END LIST. */
  list(line: string): Promise<string[]> {
    return this.send(line, true);
  }

  close(): void {
    this.fail(new UpsguardError(ErrorCode.TransportClosed, 'NUT connection closed'));
  }

  private async startTls(): Promise<void> {
    await this.request('STARTTLS');
    this.raw.removeAllListeners('data');
    this.splitter = new LineSplitter(MAX_REPLY_LINE);
    const tls = await upgradeClient(this.raw, {
      servername: this.options.host,
      ca: this.options.ca,
      timeoutMs: this.options.timeoutMs,
    });
    tls.on('error', (e) => {
      this.fail(new UpsguardError(ErrorCode.TransportIo, `NUT TLS error: ${errorMessage(e)}`));
    });
    this.io = tls;
    this.tls = true;
    this.listen(tls);
  }

  private listen(io: Socket | TLSSocket): void {
    io.on('data', (chunk: Buffer) => {
      const { lines, overflows } = this.splitter.push(chunk);
      if (overflows > 0) {
        this.fail(new UpsguardError(ErrorCode.NutProtocol, 'NUT server sent an over-long line'));
        return;
      }
      for (const l of lines) this.onLine(l.replace(/\r$/, ''));
    });
  }

  private send(line: string, list: boolean): Promise<string[]> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        request: redactNutRequest(line),
        list,
        lines: [],
        resolve,
        reject,
        timer: setTimeout(() => {
          this.fail(
            new UpsguardError(
              ErrorCode.TransportTimeout,
              `NUT request ${waiter.request} timed out after ${this.options.timeoutMs} ms`,
            ),
          );
        }, this.options.timeoutMs),
      };
      waiter.timer.unref();
      this.waiters.push(waiter);
      this.io.write(`${line}\n`);
    });
  }

  private onLine(line: string): void {
    const w = this.waiters[0];
    if (!w) {
      this.fail(new UpsguardError(ErrorCode.NutProtocol, `unexpected line from NUT server: ${line.slice(0, 80)}`));
      return;
    }
    const code = w.lines.length === 0 ? parseErr(line) : null;
    if (code !== null) {
      this.finish(w, null, new NutReplyError(code, w.request));
      return;
    }
    if (!w.list) {
      this.finish(w, [line]);
      return;
    }
    if (w.lines.length === 0 && !line.startsWith('BEGIN LIST ')) {
      this.fail(new UpsguardError(ErrorCode.NutProtocol, `expected BEGIN LIST, got ${line.slice(0, 80)}`));
      return;
    }
    if (line.startsWith('END LIST ')) {
      this.finish(w, w.lines.slice(1));
      return;
    }
    w.lines.push(line);
  }

  private finish(w: Waiter, lines: string[] | null, e?: Error): void {
    this.waiters.shift();
    clearTimeout(w.timer);
    if (lines) w.resolve(lines);
    else w.reject(e ?? new Error('no reply'));
  }

  private fail(e: Error): void {
    if (this.closedWith) return;
    this.closedWith = e;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(e);
    }
    this.io.destroy();
    this.raw.destroy();
    for (const fn of this.closeListeners) fn(e.message);
  }
}
