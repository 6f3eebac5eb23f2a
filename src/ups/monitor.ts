import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { Listeners } from '../util/listeners.js';
import { withTimeout } from '../util/timeout.js';
import type { CommsState, NewUpsEvent, UpsEvent, UpsSnapshot } from './events.js';
import type { UpsReading } from './pdc/index.js';
import { describeDuration, namedMessage, statusChanges, type StatusChange } from './status-events.js';
import type { SourceReading, UpsSource } from './ups-source.js';

export interface MonitorTimings {
  readonly quickIntervalMs: number;
  readonly fullIntervalMs: number;
  /**
   * Unused by the monitor, kept so callers need not change: contact is lost at the first failed poll or disconnect
   * (COMMBAD at once, as upsmon); the dead time is the policy's own, counted from the snapshot's `lastContactAt`.
   */
  readonly deadTimeMs?: number;
  /**
   * No contact for this long: NOCOMM (upsmon's NOCOMMWARNTIME). A UPS never reached is NOCOMM at once: at the first
   * poll that fails one quick interval or more after start.
   */
  readonly noCommMs: number;
}

export interface MonitorSinks {
  /** Writes a snapshot that carries a reading; called before anyone else hears of it. Comms changes are events. */
  recordSnapshot(s: UpsSnapshot): void;
  /** Writes an event and returns it with its id; called before anyone else hears of it. */
  recordEvent(e: NewUpsEvent): UpsEvent;
  /**
   * The store refused a write (SQLITE_FULL, a locked or broken database): called once per failure streak. The
   * monitor goes on from memory (events get negative, synthetic ids) so the app can raise an event and carry on.
   */
  onStoreError?(err: unknown): void;
  /** The first write that succeeds again after `onStoreError`. */
  onStoreOk?(): void;
}

export type MonitorEvents = {
  snapshot: [snapshot: UpsSnapshot];
  event: [event: UpsEvent];
};

/**
 * Watches one UPS through a source: a quick read every 2 s, a full read every 30 s, and every interrupt report as it
 * arrives. Emits snapshots and upsmon-named events, and tracks contact as upsmon does: COMMBAD at the first failed
 * poll or disconnect, COMMOK at the first good read, NOCOMM for a UPS never reached (at once) or silent for
 * `noCommMs`. Readings and events are written to the store before they are emitted; a store that fails is survived.
 */
export class UpsMonitor {
  readonly events: Listeners<MonitorEvents>;
  private timer: TimerHandle | null = null;
  private running = false;
  private polling = false;
  private lastFullAt = -Infinity;
  private lastContactAt = 0;
  private startedAt = 0;
  private comms: CommsState = 'unknown';
  private noCommRaised = false;
  private lastReading: UpsReading | null = null;
  /** The last known status, kept through a loss of contact and never replaced by a reading without status. */
  private lastStatus: readonly string[] | null = null;
  /** When the current outage began (OB first seen), for "back on mains after 2 min 10 s"; null on mains. */
  private onBatterySince: number | null = null;
  private current: UpsSnapshot;
  private unsubscribe: (() => void)[] = [];
  private lastPollError = '';
  private storeFailing = false;
  private syntheticId = 0;

  constructor(
    readonly name: string,
    private readonly source: UpsSource,
    private readonly sinks: MonitorSinks,
    private readonly timings: MonitorTimings,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.events = new Listeners<MonitorEvents>((event, err) => {
      log.error({ ups: name, event, err: errorMessage(err) }, 'monitor listener failed');
    });
    this.current = { ups: name, at: 0, variables: {}, status: [], comms: 'unknown', lastContactAt: 0 };
  }

  snapshot(): UpsSnapshot {
    return this.current;
  }

  /** Why the last poll failed, empty when it did not. */
  problem(): string {
    return this.lastPollError;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.startedAt = this.clock.now();
    this.unsubscribe.push(
      this.source.events.on('reading', (r) => {
        this.accept(r);
      }),
      this.source.events.on('connection', (connected, reason) => {
        this.log.info({ ups: this.name, connected, reason }, connected ? 'UPS device connected' : 'UPS device lost');
        // A device that comes back is read in full at once; one that goes is lost at once (COMMBAD).
        if (connected) {
          this.lastFullAt = -Infinity;
          this.schedule(0);
        } else {
          this.lose(reason);
        }
      }),
    );
    await this.source.start();
    // The first reading is worth waiting for (the page and API start with data), but not for long: a relay or a
    // device that is slow to answer must not hold up the rest of the appliance.
    // (Wall time on purpose: this bounds the appliance's start-up, not a decision.)
    await withTimeout(this.tick(), this.timings.quickIntervalMs, 'the first UPS reading', systemClock).catch(
      () => undefined,
    );
  }

  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    await this.source.stop();
  }

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      void this.tick();
    }, ms);
  }

  /** One poll, then the next tick. Never throws. */
  private async tick(): Promise<void> {
    if (!this.running || this.polling) return;
    this.polling = true;
    try {
      const now = this.clock.now();
      const full = now - this.lastFullAt >= this.timings.fullIntervalMs;
      let reading: UpsReading | null = null;
      try {
        reading = await this.source.poll(full ? 'full' : 'quick');
      } catch (err) {
        const msg = errorMessage(err);
        if (msg !== this.lastPollError) this.log.warn({ ups: this.name, err: msg }, 'UPS poll failed');
        this.lastPollError = msg;
        this.lose(msg);
      }
      if (reading) {
        if (full) this.lastFullAt = now;
        this.lastPollError = '';
        this.accept(reading);
      }
    } catch (err) {
      this.log.error({ ups: this.name, err: errorMessage(err) }, 'monitor tick failed');
    } finally {
      this.polling = false;
      this.schedule(this.timings.quickIntervalMs);
    }
  }

  private accept(raw: SourceReading): void {
    if (!this.running) return;
    const now = this.clock.now();
    const prev = this.lastReading;
    // A decode without status, or one the source marks partial (after a re-plug or a command), is contact, not a power
    // state: the last known status stands and the variables it did decode are merged over the last ones.
    const partial = raw.complete === false || raw.status.length === 0;
    const status = partial ? [...(this.lastStatus ?? [])] : raw.status;
    const reading: UpsReading = partial
      ? {
          variables: {
            ...(prev?.variables ?? {}),
            ...raw.variables,
            ...(status.length > 0 ? { 'ups.status': status.join(' ') } : {}),
          },
          status,
        }
      : raw;
    const changes: StatusChange[] = [];
    if (this.comms === 'lost' || (this.comms === 'unknown' && this.noCommRaised)) {
      changes.push({ type: 'COMMOK', message: 'communications with the UPS established' });
    }
    const outageMs = this.onBatterySince === null ? null : now - this.onBatterySince;
    changes.push(...statusChanges(this.lastStatus, reading.status, outageMs));
    this.lastContactAt = now;
    this.lastReading = reading;
    this.noCommRaised = false;
    this.comms = 'ok';
    if (reading.status.length > 0) {
      this.lastStatus = reading.status;
      const ob = reading.status.includes('OB');
      this.onBatterySince = ob ? (this.onBatterySince ?? now) : null;
    }
    const snapshot: UpsSnapshot = {
      ups: this.name,
      at: now,
      variables: reading.variables,
      status: reading.status,
      comms: 'ok',
      lastContactAt: now,
    };
    this.current = snapshot;
    this.store(() => {
      this.sinks.recordSnapshot(snapshot);
    });
    const events = changes.map((c) => this.recordEvent(c, now));
    this.events.emit('snapshot', snapshot);
    for (const e of events) this.events.emit('event', e);
  }

  /** Contact failed (a poll, a disconnect): COMMBAD at once for a UPS that was reached, NOCOMM for one never reached. */
  private lose(reason: string): void {
    if (!this.running) return;
    const now = this.clock.now();
    const changes: StatusChange[] = [];
    const reached = this.lastContactAt > 0;
    if (reached && this.comms !== 'lost') {
      changes.push({ type: 'COMMBAD', message: `communications with the UPS lost: ${reason}` });
    } else if (!reached && !this.noCommRaised && now - this.startedAt >= this.timings.quickIntervalMs) {
      // Never reached: NOCOMM at the first failed poll after start-up, so a source still making its first connection
      // when the monitor starts (a NUT client, say) is not called unavailable for that.
      this.noCommRaised = true;
      changes.push({ type: 'NOCOMM', message: `UPS is unavailable: never reached (${reason})` });
    }
    const silent = now - (this.lastContactAt || this.startedAt);
    if (reached && !this.noCommRaised && silent > this.timings.noCommMs) {
      this.noCommRaised = true;
      changes.push({ type: 'NOCOMM', message: `no contact with the UPS for ${describeDuration(silent)}` });
    }
    const comms: CommsState = reached ? 'lost' : 'unknown';
    if (changes.length === 0 && comms === this.comms && this.current.comms === comms) return;
    this.comms = comms;
    // Nothing new was read: the snapshot keeps the last variables and the time they were read (0 if never), and
    // claims no status while contact is lost (the policy keeps the last known one).
    const snapshot: UpsSnapshot = {
      ups: this.name,
      at: this.lastContactAt,
      variables: this.lastReading?.variables ?? {},
      status: [],
      comms,
      lastContactAt: this.lastContactAt,
    };
    this.current = snapshot;
    const events = changes.map((c) => this.recordEvent(c, now));
    this.events.emit('snapshot', snapshot);
    for (const e of events) this.events.emit('event', e);
  }

  /** Runs one store write; a failure is reported once per streak and survived (undefined then). */
  private store<T>(write: () => T): T | undefined {
    let out: T;
    try {
      out = write();
    } catch (err) {
      if (!this.storeFailing) {
        this.storeFailing = true;
        this.log.error({ ups: this.name, err: errorMessage(err) }, 'store write failed; going on from memory');
        try {
          this.sinks.onStoreError?.(err);
        } catch (cbErr) {
          this.log.error({ ups: this.name, err: errorMessage(cbErr) }, 'store error handler failed');
        }
      }
      return undefined;
    }
    if (this.storeFailing) {
      this.storeFailing = false;
      this.log.info({ ups: this.name }, 'store writes succeed again');
      try {
        this.sinks.onStoreOk?.();
      } catch (cbErr) {
        this.log.error({ ups: this.name, err: errorMessage(cbErr) }, 'store recovery handler failed');
      }
    }
    return out;
  }

  private recordEvent(c: StatusChange, at: number): UpsEvent {
    const e: NewUpsEvent = { at, type: c.type, ups: this.name, message: namedMessage(this.name, c.message) };
    // Not written: the event still goes out, with a synthetic (negative) id that no stored event has.
    const out = this.store(() => this.sinks.recordEvent(e)) ?? { ...e, id: --this.syntheticId };
    this.log.info({ ups: this.name, event: out.type }, out.message);
    return out;
  }
}
