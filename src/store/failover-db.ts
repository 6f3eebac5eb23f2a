import { closeSync, existsSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import Database from 'better-sqlite3';
import { errorMessage } from '../errors.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { configureDatabase, migrate, type Db } from './database.js';
import { migrations, type Migration } from './migrations/index.js';

/** Whether history reaches the disk. */
export type StoreHealth =
  | { readonly state: 'ok'; readonly path: string }
  | { readonly state: 'memory'; readonly path: string; readonly since: number; readonly reason: string };

export interface FailoverDbOptions {
  readonly path: string;
  readonly clock: Clock;
  /** How often to try writing the in-memory store back to its file. */
  readonly retryMs: number;
  readonly migrations?: readonly Migration[];
  /** Called on every change of health (failed over, written back). */
  readonly onHealth?: (health: StoreHealth) => void;
}

/** Errors that mean the file (disk, permissions, corruption), not the statement, is at fault. */
export function isStorageError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN|CORRUPT|NOTADB|PROTOCOL|PERM)/.test(code);
}

type StatementLike = Database.Statement;

/**
 * The store as every other part sees it: one `Db` that never fails because of the disk. When a write fails for a
 * storage reason (a full disk, an I/O error, a file made read-only or corrupt), the database continues in memory from
 * an image of the file, the statement is retried there, and health says that history is not reaching the disk; every
 * `retryMs` the image is written back to the file, and the file takes over again with nothing lost. Protection never
 * depends on the disk.
 */
export class FailoverDb {
  readonly db: Db;
  private current: Db;
  private generation = 0;
  private depth = 0;
  private health: StoreHealth;
  private retryTimer: TimerHandle | null = null;
  private closed = false;

  /** `file` is the store opened at `path`, or null when it could not be opened at all. */
  constructor(
    file: Db | null,
    private readonly o: FailoverDbOptions,
    reason = 'the store could not be opened',
  ) {
    if (file) {
      this.current = file;
      this.health = { state: 'ok', path: o.path };
    } else {
      this.current = this.freshMemory();
      this.health = { state: 'memory', path: o.path, since: o.clock.now(), reason };
      this.scheduleRetry();
    }
    this.db = this.proxy();
  }

  status(): StoreHealth {
    return this.health;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.retryTimer) this.o.clock.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    // A last chance to keep what was written in memory.
    if (this.health.state === 'memory') this.tryWriteBack();
    this.current.close();
  }

  /** Runs `fn`; a storage error outside a transaction moves the store to memory and runs it once more there. */
  private guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (this.depth > 0 || this.closed || !isStorageError(err)) throw err;
      this.failOver(err);
      return fn();
    }
  }

  private failOver(err: unknown): void {
    const reason = errorMessage(err);
    const old = this.current;
    let mem: Db;
    try {
      mem = this.memoryFrom(old.serialize());
    } catch {
      // The file cannot even be read (corrupt): history so far is lost, protection is not.
      mem = this.freshMemory();
    }
    try {
      old.close();
    } catch {
      // closing a broken file handle may fail too; the memory copy is what counts now
    }
    this.current = mem;
    this.generation++;
    if (this.health.state === 'ok') {
      this.health = { state: 'memory', path: this.o.path, since: this.o.clock.now(), reason };
      this.o.onHealth?.(this.health);
    }
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = this.o.clock.setTimeout(() => {
      this.retryTimer = null;
      if (this.health.state !== 'memory' || this.closed) return;
      if (this.tryWriteBack()) {
        this.health = { state: 'ok', path: this.o.path };
        this.o.onHealth?.(this.health);
      } else {
        this.scheduleRetry();
      }
    }, this.o.retryMs);
  }

  /** Writes the memory image over the file and reopens it; false (and the memory store kept) when that fails. */
  private tryWriteBack(): boolean {
    if (this.o.path === ':memory:') return false;
    const tmp = `${this.o.path}.restore-${process.pid}`;
    try {
      const image = this.current.serialize();
      const fd = openSync(tmp, 'w', 0o600);
      try {
        let off = 0;
        while (off < image.length) off += writeSync(fd, image, off, image.length - off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      for (const side of ['-wal', '-shm']) rmSync(`${this.o.path}${side}`, { force: true });
      renameSync(tmp, this.o.path);
      const file = new Database(this.o.path);
      configureDatabase(file);
      migrate(file, this.o.migrations ?? migrations);
      const mem = this.current;
      this.current = file;
      this.generation++;
      mem.close();
      return true;
    } catch {
      if (existsSync(tmp)) rmSync(tmp, { force: true });
      return false;
    }
  }

  private memoryFrom(image: Buffer): Db {
    // A WAL database's header says so (bytes 18-19 = 2); an in-memory database cannot use WAL.
    image[18] = 1;
    image[19] = 1;
    const mem = new Database(image);
    mem.pragma('foreign_keys = ON');
    return mem;
  }

  private freshMemory(): Db {
    const mem = new Database(':memory:');
    mem.pragma('foreign_keys = ON');
    migrate(mem, this.o.migrations ?? migrations);
    return mem;
  }

  private statement(sql: string): StatementLike {
    let gen = -1;
    let stmt: StatementLike | null = null;
    const ensure = (): StatementLike => {
      if (gen !== this.generation || !stmt) {
        stmt = this.current.prepare(sql);
        gen = this.generation;
      }
      return stmt;
    };
    this.guard(ensure);
    const run = (method: 'run' | 'get' | 'all' | 'iterate') =>
      ((...args: unknown[]) => this.guard(() => (ensure()[method] as (...a: unknown[]) => unknown)(...args))) as never;
    return new Proxy({} as StatementLike, {
      get: (_t, prop) => {
        if (prop === 'run' || prop === 'get' || prop === 'all' || prop === 'iterate') return run(prop);
        const s = ensure() as unknown as Record<string | symbol, unknown>;
        const v = s[prop];
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(s) : v;
      },
    });
  }

  private transaction(fn: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
    const make =
      (variant?: 'deferred' | 'immediate' | 'exclusive') =>
      (...args: unknown[]): unknown =>
        this.guard(() => {
          const tx = this.current.transaction((...a: unknown[]) => {
            this.depth++;
            try {
              return fn(...a);
            } finally {
              this.depth--;
            }
          });
          return variant ? tx[variant](...args) : tx(...args);
        });
    return Object.assign(make(), {
      deferred: make('deferred'),
      immediate: make('immediate'),
      exclusive: make('exclusive'),
      default: make(),
    });
  }

  private proxy(): Db {
    return new Proxy({} as Db, {
      get: (_t, prop) => {
        switch (prop) {
          case 'prepare':
            return (sql: string) => this.statement(sql);
          case 'transaction':
            return (fn: (...args: unknown[]) => unknown) => this.transaction(fn);
          case 'exec':
            return (sql: string) => this.guard(() => this.current.exec(sql));
          case 'pragma':
            return (source: string, options?: Database.PragmaOptions) =>
              this.guard(() => this.current.pragma(source, options));
          case 'close':
            return () => {
              this.close();
            };
          default: {
            const c = this.current as unknown as Record<string | symbol, unknown>;
            const v = c[prop];
            return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(c) : v;
          }
        }
      },
    });
  }
}
