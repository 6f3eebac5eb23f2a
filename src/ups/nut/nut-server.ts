import { readFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { TLSSocket, SecureContext } from 'node:tls';
import { ErrorCode, UpsguardError, errorMessage } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { ConnectionLimits, remoteKey } from '../../util/connection-limits.js';
import { Listeners } from '../../util/listeners.js';
import { RateLimitedLog } from '../../util/rate-limited-log.js';
import { waitAtMost, withTimeout } from '../../util/timeout.js';
import { UPS_COMMANDS, type UpsCommand } from '../pdc/index.js';
import { NutAuth, type NutUser } from './nut-auth.js';
import { handleCommand, type CommandContext, type NutSession } from './nut-commands.js';
import { LineSplitter, NutLineError, parseLine } from './line-codec.js';
import { err, verText } from './protocol.js';
import { serverContext, upgradeServer } from './tls.js';
import type { NutServedUps } from './ups-view.js';

export interface NutServerSettings {
  readonly host: string;
  readonly port: number;
  readonly maxConnections: number;
  /** Connections one client address may hold, so one client cannot take every slot (default: 8, at most the total). */
  readonly maxConnectionsPerAddress?: number | undefined;
  readonly maxLineLength: number;
  readonly idleTimeoutMs: number;
  readonly commandTimeoutMs: number;
  readonly handshakeTimeoutMs: number;
  /** Wrong passwords an address may send before its attempts are slowed down. */
  readonly loginFailures: number;
  /** An address that stops failing for this long starts afresh. */
  readonly loginFailureWindowMs: number;
  /** The cap of the growing delay before a slowed address's next check is answered. */
  readonly loginBlockMs: number;
  /** PEM files; both or neither. */
  readonly tlsCertFile?: string | undefined;
  readonly tlsKeyFile?: string | undefined;
}

export interface NutServerOptions {
  readonly settings: NutServerSettings;
  readonly users: readonly NutUser[];
  /** The UPSes to publish, read live (names are fixed for the server's life). */
  readonly ups: readonly NutServedUps[];
  /** Second names a UPS answers to (alias → UPS name), e.g. `ups`, which Synology DSM asks for. Not listed. */
  readonly aliases?: Readonly<Record<string, string>>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly version: string;
}

/** A connection LOGINed to a UPS, as LIST CLIENT and NUMLOGINS count it. */
export interface NutLogin {
  readonly ups: string;
  readonly user: string;
  readonly address: string;
  readonly loggedInAt: number;
}

export interface NutLogout extends NutLogin {
  readonly loggedOutAt: number;
  /** LOGOUT, or why the connection ended (closed by the client, idle, server stopped). */
  readonly reason: string;
}

export type NutServerEvents = {
  login: [login: NutLogin];
  logout: [logout: NutLogout];
  fsd: [ups: string, by: string];
};

/** How many logouts are kept per UPS for the runs view. */
const LOGOUT_HISTORY = 200;
/** Requests a client may queue before it is dropped (pipelining is fine; flooding is not). */
const MAX_QUEUED_LINES = 256;
const MAX_UNSENT_BYTES = 1 << 20;
/** Warnings one client address may write per kind and window; the rest are counted in one summary line. */
const LOG_LINES_PER_WINDOW = 5;
const LOG_WINDOW_MS = 60_000;
/** How long stop() waits for the listening socket to close once every client is destroyed. */
const STOP_WAIT_MS = 2000;
const DEFAULT_PER_ADDRESS = 8;

interface Conn {
  readonly session: NutSession;
  io: Socket | TLSSocket;
  readonly raw: Socket;
  readonly splitter: LineSplitter;
  queue: string[];
  busy: boolean;
  idle: TimerHandle | null;
  closed: boolean;
  closeReason: string;
}

/**
 * An upsd-compatible NUT server over the UPSes the appliance watches. Requests on one connection are answered in
 * order; each connection is isolated, so a malformed or hostile client gets ERR or is dropped without touching
 * the others. FSD is a latch for the server's life, as in upsd.
 */
export class NutServer {
  readonly events: Listeners<NutServerEvents>;
  private server: Server | null = null;
  private readonly quietLog: RateLimitedLog;
  private readonly conns = new Set<Conn>();
  private readonly fsd = new Set<string>();
  private readonly logins = new Map<number, NutLogin>();
  private readonly logoutHistory = new Map<string, NutLogout[]>();
  private readonly delayOverrides = new Map<string, Record<string, string>>();
  private readonly tracking = new Map<string, 'PENDING' | 'SUCCESS' | 'FAILED'>();
  private readonly auth: NutAuth;
  private readonly byName: Map<string, NutServedUps>;
  private tlsContext: SecureContext | null = null;
  private nextId = 1;
  private readonly ctx: CommandContext;

  constructor(private readonly options: NutServerOptions) {
    const { log, settings } = options;
    this.events = new Listeners<NutServerEvents>((event, e) => {
      log.error({ event, err: errorMessage(e) }, 'NUT server listener failed');
    });
    this.auth = new NutAuth(
      options.users,
      {
        freeFailures: settings.loginFailures,
        windowMs: settings.loginFailureWindowMs,
        maxDelayMs: settings.loginBlockMs,
      },
      options.clock,
      log,
    );
    // upsd compares UPS names with strcasecmp: keyed in lower case, aliases beside the names they stand for.
    this.byName = new Map(options.ups.map((u) => [u.name.toLowerCase(), u]));
    for (const [alias, target] of Object.entries(options.aliases ?? {})) {
      const ups = this.byName.get(target.toLowerCase());
      if (!ups) throw new UpsguardError(ErrorCode.ConfigInvalid, `NUT alias ${alias}: no UPS named ${target}`);
      if (this.byName.has(alias.toLowerCase()) && this.byName.get(alias.toLowerCase()) !== ups)
        throw new UpsguardError(ErrorCode.ConfigInvalid, `NUT alias ${alias} is already the name of another UPS`);
      this.byName.set(alias.toLowerCase(), ups);
    }
    this.ctx = this.context();
    this.quietLog = new RateLimitedLog({
      log,
      clock: options.clock,
      maxPerWindow: LOG_LINES_PER_WINDOW,
      windowMs: LOG_WINDOW_MS,
    });
  }

  /** Listens; rejects with a typed error naming the address when it cannot (EADDRINUSE in details.errno). */
  async start(): Promise<void> {
    if (this.server) return;
    const s = this.options.settings;
    if (s.tlsCertFile && s.tlsKeyFile) {
      try {
        this.tlsContext = serverContext(readFileSync(s.tlsCertFile), readFileSync(s.tlsKeyFile));
      } catch (e) {
        throw new UpsguardError(
          ErrorCode.ConfigInvalid,
          `nut_server TLS certificate or key unusable: ${errorMessage(e)}`,
        );
      }
    }
    const limits = new ConnectionLimits({
      total: s.maxConnections,
      perAddress: Math.min(s.maxConnectionsPerAddress ?? DEFAULT_PER_ADDRESS, s.maxConnections),
    });
    const server = createServer((socket) => {
      this.accept(socket, limits);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) => {
        const why = e.code === 'EADDRINUSE' ? 'the port is in use' : errorMessage(e);
        reject(
          new UpsguardError(ErrorCode.TransportIo, `NUT server cannot listen on ${s.host}:${s.port}: ${why}`, {
            errno: e.code,
          }),
        );
      });
      server.listen(s.port, s.host, () => {
        resolve();
      });
    });
    server.on('error', (e) => {
      this.options.log.error({ err: errorMessage(e) }, 'NUT server error');
    });
    this.server = server;
  }

  /** Closes every client at once (logged-in ones count as logged out) and resolves within a bounded time. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = null;
    const closed = new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
    for (const c of [...this.conns]) this.close(c, 'server stopped');
    await waitAtMost(closed, STOP_WAIT_MS);
    server.removeAllListeners();
    this.quietLog.flush();
  }

  address(): { host: string; port: number } | null {
    const a = this.server?.address() as AddressInfo | null | undefined;
    return a ? { host: a.address, port: a.port } : null;
  }

  /** Sets the FSD latch on a UPS, as `FSD <ups>` does: ups.status reads `FSD …` until the server restarts. */
  setForcedShutdown(ups: string, by = 'upsguard'): void {
    if (!this.options.ups.some((u) => u.name === ups))
      throw new UpsguardError(ErrorCode.NotFound, `no NUT UPS named ${JSON.stringify(ups)}`);
    if (this.fsd.has(ups)) return;
    this.fsd.add(ups);
    this.options.log.warn({ ups, by }, 'NUT forced shutdown (FSD) set');
    this.events.emit('fsd', ups, by);
  }

  /**
   * Clears the FSD latch once the restore after the outage begins (never while its run is going): NUT secondaries that
   * boot are not told to shut down again. upsd has no such command; here the appliance owns the latch.
   */
  clearForcedShutdown(ups: string, by = 'upsguard'): boolean {
    if (!this.fsd.delete(ups)) return false;
    this.options.log.warn({ ups, by }, 'NUT forced shutdown (FSD) cleared');
    return true;
  }

  isForcedShutdown(ups: string): boolean {
    return this.fsd.has(ups);
  }

  /** GET NUMLOGINS: connections LOGINed to the UPS (a primary included). */
  numLogins(ups: string): number {
    let n = 0;
    for (const l of this.logins.values()) if (l.ups === ups) n++;
    return n;
  }

  clients(ups: string): NutLogin[] {
    return [...this.logins.values()].filter((l) => l.ups === ups);
  }

  /** Read-only, for the console: every logged-in client with its user's upsmon role, and each UPS's FSD latch. */
  overview(): {
    clients: (NutLogin & { upsmon: 'primary' | 'secondary' | null })[];
    ups: { name: string; fsd: boolean; logins: number }[];
  } {
    const role = new Map(this.options.users.map((u) => [u.name, u.upsmon ?? null]));
    return {
      clients: [...this.logins.values()].map((l) => ({ ...l, upsmon: role.get(l.user) ?? null })),
      ups: this.options.ups.map(({ name }) => ({ name, fsd: this.fsd.has(name), logins: this.numLogins(name) })),
    };
  }

  /** Logouts (or dropped logged-in connections) of the UPS, oldest first, from `since` (ms) on. */
  logouts(ups: string, since = 0): NutLogout[] {
    return (this.logoutHistory.get(ups) ?? []).filter((l) => l.loggedOutAt >= since);
  }

  private context(): CommandContext {
    const o = this.options;
    return {
      verText: verText(o.version),
      tlsAvailable: () => this.tlsContext !== null,
      find: (name) => this.byName.get(name.toLowerCase()),
      list: () => o.ups,
      authorize: async (s, right) =>
        s.username !== undefined &&
        s.password !== undefined &&
        (await this.auth.check(s.address, s.username, s.password, right)),
      login: (s, ups) => {
        s.loginUps = ups;
        s.loggedInAt = o.clock.now();
        const login: NutLogin = { ups, user: s.username ?? '', address: s.address, loggedInAt: s.loggedInAt };
        this.logins.set(s.id, login);
        o.log.info({ ups, user: login.user, address: s.address }, 'NUT client logged in');
        this.events.emit('login', login);
      },
      numLogins: (ups) => this.numLogins(ups),
      clientAddresses: (ups) => this.clients(ups).map((l) => l.address),
      isFsd: (ups) => this.fsd.has(ups),
      setFsd: (ups, by) => {
        this.setForcedShutdown(ups, by);
      },
      delays: (ups) => this.delayOverrides.get(ups) ?? {},
      setDelay: (ups, name, value) => {
        this.delayOverrides.set(ups, { ...this.delayOverrides.get(ups), [name]: value });
        o.log.info({ ups, variable: name, value }, 'NUT variable set');
      },
      setVariable: (ups, name, value, by) => this.setVariable(ups, name, value, by),
      instcmd: (ups, cmd, param, by) => this.instcmd(ups, cmd, param, by),
      tracking: this.tracking,
    };
  }

  private async setVariable(ups: NutServedUps, name: string, value: string, by: string): Promise<boolean> {
    const log = this.options.log;
    if (!ups.setVariable) return false;
    log.warn({ ups: ups.name, variable: name, value, by }, 'NUT variable set');
    try {
      await withTimeout(ups.setVariable(name, value), this.options.settings.commandTimeoutMs, `SET VAR ${name}`);
      return true;
    } catch (e) {
      log.error({ ups: ups.name, variable: name, err: errorMessage(e) }, 'NUT variable set failed');
      return false;
    }
  }

  private async instcmd(ups: NutServedUps, cmd: string, param: string | undefined, by: string): Promise<boolean> {
    if (!(UPS_COMMANDS as readonly string[]).includes(cmd)) return false;
    const delays = this.delayOverrides.get(ups.name) ?? {};
    const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v));
    const opts = {
      offDelay: num(param ?? delays['ups.delay.shutdown']),
      onDelay: num(delays['ups.delay.start']),
    };
    const log = this.options.log;
    log.warn({ ups: ups.name, cmd, by }, 'NUT instant command');
    try {
      await withTimeout(ups.command(cmd as UpsCommand, opts), this.options.settings.commandTimeoutMs, `INSTCMD ${cmd}`);
      return true;
    } catch (e) {
      log.error({ ups: ups.name, cmd, err: errorMessage(e) }, 'NUT instant command failed');
      return false;
    } finally {
      while (this.tracking.size > 1000) this.tracking.delete(this.tracking.keys().next().value!);
    }
  }

  private accept(socket: Socket, limits: ConnectionLimits): void {
    const address = remoteKey(socket.remoteAddress);
    const refused = limits.admitSocket(socket, address);
    if (refused !== null) {
      socket.on('error', () => undefined);
      this.quietLog.warn(`refused ${address}`, { address }, `NUT connection refused: ${refused}`);
      socket.destroy();
      return;
    }
    const session: NutSession = { id: this.nextId++, address, tls: false, tracking: false };
    const c: Conn = {
      session,
      io: socket,
      raw: socket,
      splitter: new LineSplitter(this.options.settings.maxLineLength),
      queue: [],
      busy: false,
      idle: null,
      closed: false,
      closeReason: 'closed by the client',
    };
    this.conns.add(c);
    socket.setNoDelay(true);
    socket.on('error', (e) => {
      this.options.log.debug({ address, err: errorMessage(e) }, 'NUT connection error');
    });
    socket.on('close', () => {
      this.close(c, c.closeReason);
    });
    this.attach(c, socket);
    this.armIdle(c);
  }

  private attach(c: Conn, io: Socket | TLSSocket): void {
    c.io = io;
    io.on('data', (chunk: Buffer) => {
      this.onData(c, chunk);
    });
  }

  private onData(c: Conn, chunk: Buffer): void {
    if (c.closed) return;
    const { lines, overflows } = c.splitter.push(chunk);
    const address = c.session.address;
    for (let i = 0; i < overflows; i++) {
      this.quietLog.warn(`long ${address}`, { address }, 'NUT request line too long; skipped');
      c.queue.push('\u0000overflow');
    }
    c.queue.push(...lines);
    // The idle timer is reset by requests the server understood (see drain), not by any bytes.
    if (c.queue.length > MAX_QUEUED_LINES) {
      this.quietLog.warn(`flood ${address}`, { address }, 'NUT client flooded requests; dropped');
      c.closeReason = 'dropped: too many queued requests';
      this.close(c, c.closeReason);
      return;
    }
    void this.drain(c);
  }

  private armIdle(c: Conn): void {
    const clock = this.options.clock;
    if (c.idle) clock.clearTimeout(c.idle);
    c.idle = clock.setTimeout(() => {
      c.idle = null;
      this.options.log.info({ address: c.session.address }, 'NUT client idle; disconnected');
      this.close(c, 'idle');
    }, this.options.settings.idleTimeoutMs);
  }

  /** Answers queued lines one at a time, in order. Never throws. */
  private async drain(c: Conn): Promise<void> {
    if (c.busy) return;
    c.busy = true;
    try {
      while (!c.closed && c.queue.length > 0) {
        const line = c.queue.shift()!;
        let reply;
        let understood = false;
        try {
          if (line === '\u0000overflow')
            throw new NutLineError('request line too long', this.options.settings.maxLineLength);
          const words = parseLine(line);
          reply = await handleCommand(this.ctx, c.session, words);
          understood = words.length > 0 && reply.lines[0] !== err('UNKNOWN-COMMAND');
        } catch (e) {
          // upsd answers nothing to a line it cannot parse; an ERR keeps a client from waiting forever.
          const address = c.session.address;
          this.quietLog.info(`bad ${address}`, { address, err: errorMessage(e) }, 'NUT request not understood');
          reply = { lines: [err('INVALID-ARGUMENT')] };
        }
        // The client may have gone while the command ran.
        if (!this.conns.has(c)) return;
        // Junk or unknown commands do not keep a connection alive: only requests the server understood do.
        if (understood) this.armIdle(c);
        c.io.write(`${reply.lines.join('\n')}\n`);
        if (c.io.writableLength > MAX_UNSENT_BYTES) {
          c.closeReason = 'dropped: not reading replies';
          this.close(c, c.closeReason);
          return;
        }
        if (reply.close) {
          c.closeReason = 'LOGOUT';
          c.io.end();
          this.close(c, 'LOGOUT', false);
          return;
        }
        if (reply.startTls) await this.startTls(c);
      }
    } finally {
      c.busy = false;
    }
  }

  private async startTls(c: Conn): Promise<void> {
    const context = this.tlsContext;
    if (!context) return;
    // Anything sent in clear after STARTTLS is not trusted.
    c.queue = [];
    c.raw.removeAllListeners('data');
    try {
      const tls = await upgradeServer(c.raw, context, this.options.settings.handshakeTimeoutMs);
      c.session.tls = true;
      tls.on('error', () => undefined);
      this.attach(c, tls);
    } catch (e) {
      this.options.log.info({ address: c.session.address, err: errorMessage(e) }, 'NUT TLS handshake failed');
      this.close(c, 'TLS handshake failed');
    }
  }

  private close(c: Conn, reason: string, destroy = true): void {
    if (c.closed) return;
    c.closed = true;
    this.conns.delete(c);
    if (c.idle) this.options.clock.clearTimeout(c.idle);
    c.idle = null;
    if (destroy) c.io.destroy();
    const login = this.logins.get(c.session.id);
    if (!login) return;
    this.logins.delete(c.session.id);
    const out: NutLogout = { ...login, loggedOutAt: this.options.clock.now(), reason };
    const list = this.logoutHistory.get(login.ups) ?? [];
    list.push(out);
    if (list.length > LOGOUT_HISTORY) list.shift();
    this.logoutHistory.set(login.ups, list);
    this.options.log.info(
      { ups: login.ups, user: login.user, address: login.address, reason },
      'NUT client logged out',
    );
    this.events.emit('logout', out);
  }
}
