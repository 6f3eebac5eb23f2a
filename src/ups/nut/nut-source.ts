import type { Logger } from '../../log.js';
import { ErrorCode, UpsguardError } from '../../errors.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { Listeners } from '../../util/listeners.js';
import { backoffMs } from '../../util/timeout.js';
import { UPS_COMMANDS, type UpsCommand, type UpsReading } from '../pdc/index.js';
import type { UpsSource, UpsSourceEvents, UpsSourceInfo } from '../ups-source.js';
import { encodeWord, parseLine } from './line-codec.js';
import { NutConnection, NutReplyError } from './nut-connection.js';
import { formatNutUrl, type NutTarget } from './nut-url.js';

export interface NutSourceOptions {
  readonly target: NutTarget;
  readonly password?: string | undefined;
  readonly starttls: 'off' | 'try' | 'require';
  readonly ca?: Buffer | undefined;
  /** LOGIN as upsmon does, so the server's primary counts upsguard among those to wait for. */
  readonly login: boolean;
  readonly pollMs: number;
  readonly onBatteryPollMs: number;
  readonly ioTimeoutMs: number;
  readonly reconnectBaseMs: number;
  readonly reconnectMaxMs: number;
  /** Instant commands upsguard may relay to this UPS. */
  readonly allowedCommands: readonly string[];
  readonly clock: Clock;
  readonly log: Logger;
  readonly onListenerError?: (event: string, err: unknown) => void;
  readonly random?: () => number;
}

/** The UPS's data cannot be had right now (DATA-STALE, DRIVER-NOT-CONNECTED, WAIT): unknown, never an outage. */
export class NutDataUnavailable extends UpsguardError {
  constructor(what: string, reason: string) {
    super(ErrorCode.NutUnavailable, `${what}: ${reason}`, { reason });
  }
}

/**
 * A UPS watched through an existing NUT server, as a UpsSource. It polls on its own clock, faster while the UPS is
 * on battery (upsmon's POLLFREQ / POLLFREQALERT), pushes a reading whenever ups.status changes, and answers the
 * monitor's polls from its latest read while that is fresh. Losing the server or the server losing its driver makes
 * polls fail (the monitor calls that stale, then lost); it never reads as a change of power state.
 */
export class NutSource implements UpsSource {
  readonly events: Listeners<UpsSourceEvents>;
  private conn: NutConnection | null = null;
  private connecting: Promise<NutConnection> | null = null;
  private reading: Promise<UpsReading> | null = null;
  private last: UpsReading | null = null;
  private lastAt = 0;
  private lastStatus = '';
  private commands: readonly UpsCommand[] = [];
  private timer: TimerHandle | null = null;
  private running = false;
  private attempt = 0;
  private readonly where: string;

  constructor(private readonly o: NutSourceOptions) {
    this.events = new Listeners<UpsSourceEvents>(o.onListenerError);
    this.where = formatNutUrl(o.target);
  }

  start(): Promise<void> {
    if (this.running) return Promise.resolve();
    this.running = true;
    this.schedule(0);
    return Promise.resolve();
  }

  stop(): Promise<void> {
    this.running = false;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = null;
    const c = this.conn;
    this.conn = null;
    if (c && !c.closed) {
      // A polite LOGOUT lets the server's NUMLOGINS drop at once; it is not waited for long.
      c.request('LOGOUT').then(
        () => c.close(),
        () => c.close(),
      );
    }
    return Promise.resolve();
  }

  info(): UpsSourceInfo {
    return { kind: 'nut', location: this.where };
  }

  supportedCommands(): readonly UpsCommand[] {
    return this.commands;
  }

  async poll(_kind: 'quick' | 'full'): Promise<UpsReading> {
    if (this.last && this.o.clock.now() - this.lastAt < this.interval()) return this.last;
    // Reconnecting is the poll loop's job, with its backoff; a poll only reads over a live connection.
    if (!this.conn || this.conn.closed) {
      throw new UpsguardError(ErrorCode.TransportClosed, `not connected to ${this.where}`);
    }
    return this.read();
  }

  async command(cmd: UpsCommand, opts: { offDelay?: number; onDelay?: number } = {}): Promise<void> {
    if (!this.o.allowedCommands.includes(cmd) || !this.commands.includes(cmd)) {
      throw new UpsguardError(ErrorCode.UpsCommandUnsupported, `${cmd} is not allowed or not offered by ${this.where}`);
    }
    const conn = await this.connection();
    const ups = encodeWord(this.o.target.ups);
    if (cmd === 'shutdown.return' || cmd === 'shutdown.stayoff') {
      if (opts.offDelay !== undefined) await conn.request(`SET VAR ${ups} ups.delay.shutdown "${opts.offDelay}"`);
      if (opts.onDelay !== undefined) await conn.request(`SET VAR ${ups} ups.delay.start "${opts.onDelay}"`);
    }
    const param = cmd === 'load.off.delay' && opts.offDelay !== undefined ? ` ${opts.offDelay}` : '';
    await conn.request(`INSTCMD ${ups} ${cmd}${param}`);
    this.o.log.info({ ups: this.o.target.ups, cmd, server: this.where }, 'NUT instant command relayed');
  }

  private isRunning(): boolean {
    return this.running;
  }

  private interval(): number {
    return this.last?.status.includes('OB') ? this.o.onBatteryPollMs : this.o.pollMs;
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer) this.o.clock.clearTimeout(this.timer);
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, ms);
  }

  private async tick(): Promise<void> {
    try {
      await this.read();
      this.schedule(this.interval());
    } catch (e) {
      if (e instanceof NutDataUnavailable || e instanceof NutReplyError) this.schedule(this.interval());
      else this.schedule(backoffMs(this.attempt++, this.o.reconnectBaseMs, this.o.reconnectMaxMs, this.o.random));
    }
  }

  /** One LIST VAR (shared by concurrent callers). */
  private read(): Promise<UpsReading> {
    this.reading ??= this.readOnce().finally(() => {
      this.reading = null;
    });
    return this.reading;
  }

  private async readOnce(): Promise<UpsReading> {
    const conn = await this.connection();
    let lines: string[];
    try {
      lines = await conn.list(`LIST VAR ${encodeWord(this.o.target.ups)}`);
    } catch (e) {
      if (e instanceof NutReplyError && (e.nutCode === 'DATA-STALE' || e.nutCode === 'DRIVER-NOT-CONNECTED')) {
        throw new NutDataUnavailable(this.where, e.nutCode);
      }
      throw e;
    }
    const variables: Record<string, string> = {};
    for (const l of lines) {
      const [kind, , name, value] = parseLine(l);
      if (kind === 'VAR' && name !== undefined && value !== undefined) variables[name] = value;
    }
    const statusText = variables['ups.status'] ?? '';
    const status = statusText.split(' ').filter((t) => t !== '');
    // A driver that has not finished its first dump reads WAIT: nothing is known yet.
    if (status.length === 0 || status.includes('WAIT'))
      throw new NutDataUnavailable(this.where, `ups.status "${statusText}"`);
    const reading: UpsReading = { variables, status };
    this.attempt = 0;
    this.last = reading;
    this.lastAt = this.o.clock.now();
    if (statusText !== this.lastStatus) {
      this.lastStatus = statusText;
      this.events.emit('reading', reading);
    }
    return reading;
  }

  private connection(): Promise<NutConnection> {
    if (this.conn && !this.conn.closed) return Promise.resolve(this.conn);
    this.connecting ??= this.connect().finally(() => {
      this.connecting = null;
    });
    return this.connecting;
  }

  private async connect(): Promise<NutConnection> {
    if (!this.running) throw new UpsguardError(ErrorCode.TransportClosed, `${this.where} is stopped`);
    const o = this.o;
    const conn = await NutConnection.open({
      host: o.target.host,
      port: o.target.port,
      timeoutMs: o.ioTimeoutMs,
      starttls: o.starttls,
      ca: o.ca,
    });
    const ups = encodeWord(o.target.ups);
    try {
      if (o.target.user !== undefined && o.password !== undefined) {
        await conn.request(`USERNAME ${encodeWord(o.target.user)}`);
        await conn.request(`PASSWORD ${encodeWord(o.password)}`);
        if (o.login) {
          await conn.request(`LOGIN ${ups}`).catch((e: unknown) => {
            if (!(e instanceof NutReplyError)) throw e;
            o.log.warn({ server: this.where, err: e.nutCode }, 'NUT LOGIN refused; watching without logging in');
          });
        }
      }
      const offered = await conn.list(`LIST CMD ${ups}`).catch((e: unknown) => {
        if (e instanceof NutReplyError) return [];
        throw e;
      });
      const names = offered.map((l) => parseLine(l)[2] ?? '');
      this.commands = UPS_COMMANDS.filter((c) => names.includes(c) && o.allowedCommands.includes(c));
    } catch (e) {
      conn.close();
      throw e;
    }
    // stop() may have run during the handshake.
    if (!this.isRunning()) {
      conn.close();
      throw new UpsguardError(ErrorCode.TransportClosed, `${this.where} is stopped`);
    }
    conn.onClose((reason) => {
      if (this.conn !== conn) return;
      this.conn = null;
      // What was read over a dead connection is not served as current.
      this.last = null;
      this.events.emit('connection', false, reason);
    });
    this.conn = conn;
    o.log.info({ server: this.where, tls: conn.tls }, 'connected to NUT server');
    this.events.emit('connection', true, `connected to ${this.where}${conn.tls ? ' (TLS)' : ''}`);
    return conn;
  }
}
