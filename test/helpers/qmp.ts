/**
 * A minimal QMP client (QEMU's JSON machine protocol, docs/interop/qmp-spec.rst) for tests: commands matched to
 * their answers by id, events kept in order so a test can wait for one that came before it asked.
 */
import net from 'node:net';
import { until } from './until.js';

/** QEMU refused a command: `qmpClass` is QMP's error class (GenericError, CommandNotFound, DeviceNotFound…). */
export class QmpError extends Error {
  constructor(
    readonly qmpClass: string,
    message: string,
  ) {
    super(message);
    this.name = 'QmpError';
  }
}

export interface QmpEvent {
  readonly event: string;
  readonly data: Record<string, unknown>;
}

export type QmpMessage =
  | { readonly kind: 'greeting' }
  | { readonly kind: 'return'; readonly id: unknown; readonly value: unknown }
  | { readonly kind: 'error'; readonly id: unknown; readonly qmpClass: string; readonly desc: string }
  | ({ readonly kind: 'event' } & QmpEvent);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** One line from QEMU as a message; anything else is a QmpError of class 'Protocol' naming the line. */
export function parseQmpLine(line: string): QmpMessage {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new QmpError('Protocol', `QMP sent a line that is not JSON: ${JSON.stringify(line.slice(0, 200))}`);
  }
  if (!isObject(v)) throw new QmpError('Protocol', `QMP sent JSON that is not an object: ${line.slice(0, 200)}`);
  if ('QMP' in v) return { kind: 'greeting' };
  if ('return' in v) return { kind: 'return', id: v.id, value: v.return };
  if (isObject(v.error)) {
    const { class: qmpClass, desc } = v.error;
    return {
      kind: 'error',
      id: v.id,
      qmpClass: typeof qmpClass === 'string' ? qmpClass : 'GenericError',
      desc: typeof desc === 'string' ? desc : JSON.stringify(v.error),
    };
  }
  if (typeof v.event === 'string') return { kind: 'event', event: v.event, data: isObject(v.data) ? v.data : {} };
  throw new QmpError('Protocol', `QMP sent an object that is no greeting, answer or event: ${line.slice(0, 200)}`);
}

export class Qmp {
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private buffer = '';
  private closedBy: Error | undefined;
  /** Every event since connecting, oldest first. */
  readonly events: QmpEvent[] = [];

  private constructor(private readonly socket: net.Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        const line = this.buffer.slice(0, nl).trim();
        this.buffer = this.buffer.slice(nl + 1);
        if (line) this.message(line);
      }
    });
    socket.on('error', (e) => this.fail(new QmpError('Disconnected', `QMP socket failed: ${e.message}`)));
    socket.on('close', () => this.fail(new QmpError('Disconnected', 'QMP socket closed')));
  }

  /** Connects to QEMU's `-qmp unix:PATH,server=on,wait=off`, retrying while QEMU is still creating the socket. */
  static async connect(path: string, timeoutMs = 20_000): Promise<Qmp> {
    const socket = await until(
      `QMP socket ${path}`,
      () =>
        new Promise<net.Socket | undefined>((resolve) => {
          const s = net.connect(path);
          s.once('connect', () => resolve(s));
          s.once('error', () => resolve(undefined));
        }),
      timeoutMs,
      50,
    );
    const qmp = new Qmp(socket);
    await qmp.execute('qmp_capabilities');
    return qmp;
  }

  /** Runs `command`; resolves with its `return` value, rejects with a QmpError if QEMU refused it. */
  execute(command: string, args?: Record<string, unknown>, timeoutMs = 30_000): Promise<unknown> {
    if (this.closedBy) return Promise.reject(this.closedBy);
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new QmpError('Timeout', `QMP ${command} had no answer in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
      this.socket.write(JSON.stringify({ execute: command, ...(args ? { arguments: args } : {}), id }) + '\n');
    });
  }

  /**
   * The first event named `name` at index `from` or later in `events` that `match` accepts. Pass the length of
   * `events` taken before the command that causes it, so an event that came before the wait is not missed.
   */
  async waitEvent(
    name: string,
    match: (data: Record<string, unknown>) => boolean = () => true,
    timeoutMs = 30_000,
    from = 0,
  ): Promise<QmpEvent> {
    return until(
      `QMP event ${name}`,
      () => {
        if (this.closedBy) throw this.closedBy;
        return this.events.slice(from).find((e) => e.event === name && match(e.data));
      },
      timeoutMs,
      20,
    );
  }

  /**
   * Migrates this (source) QEMU to `uri`, where a destination waits (`-incoming defer` + migrate-incoming), and
   * resolves when the migration completed; the source is then paused. Rejects naming the state it failed in.
   */
  async migrate(uri: string, timeoutMs = 120_000): Promise<void> {
    // Without the `events` capability QEMU keeps MIGRATION events to itself; the default 32 MiB/s cap would make
    // a test wait seconds for RAM that moves in a fraction of one over a local socket.
    await this.execute('migrate-set-capabilities', { capabilities: [{ capability: 'events', state: true }] });
    await this.execute('migrate-set-parameters', { 'max-bandwidth': 8 * 1024 ** 3 });
    const from = this.events.length;
    await this.execute('migrate', { uri });
    const done = await this.waitEvent(
      'MIGRATION',
      (d) => d.status === 'completed' || d.status === 'failed' || d.status === 'cancelled',
      timeoutMs,
      from,
    );
    if (done.data.status !== 'completed') {
      const info = await this.execute('query-migrate').catch(() => ({}));
      throw new QmpError(
        'MigrationFailed',
        `migration to ${uri} ended ${String(done.data.status)}: ${JSON.stringify(info)}`,
      );
    }
  }

  close(): void {
    this.socket.destroy();
  }

  private message(line: string): void {
    let m: QmpMessage;
    try {
      m = parseQmpLine(line);
    } catch (e) {
      this.fail(e as Error);
      this.socket.destroy();
      return;
    }
    switch (m.kind) {
      case 'greeting':
        return;
      case 'event':
        this.events.push({ event: m.event, data: m.data });
        return;
      case 'return':
      case 'error': {
        const waiter = typeof m.id === 'number' ? this.pending.get(m.id) : undefined;
        if (!waiter) return;
        this.pending.delete(m.id as number);
        if (m.kind === 'return') waiter.resolve(m.value);
        else waiter.reject(new QmpError(m.qmpClass, `QMP refused: ${m.desc}`));
        return;
      }
    }
  }

  private fail(e: Error): void {
    this.closedBy ??= e;
    for (const w of this.pending.values()) w.reject(e);
    this.pending.clear();
  }
}
