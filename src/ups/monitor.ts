import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { Listeners } from '../util/listeners.js';
import type { CommsState, NewUpsEvent, UpsEvent, UpsSnapshot } from './events.js';
import type { UpsReading } from './pdc/index.js';
import { commsChange, statusChanges } from './status-events.js';
import type { UpsSource } from './ups-source.js';

export interface MonitorTimings {
  readonly quickIntervalMs: number;
  readonly fullIntervalMs: number;
  /** No contact for this long: COMMBAD (upsmon's DEADTIME). */
  readonly deadTimeMs: number;
  /** No contact for this long: NOCOMM (upsmon's NOCOMMWARNTIME). */
  readonly noCommMs: number;
}

export interface MonitorSinks {
  /** Writes a snapshot; called before anyone else hears of it. */
  recordSnapshot(s: UpsSnapshot): void;
  /** Writes an event and returns it with its id; called before anyone else hears of it. */
  recordEvent(e: NewUpsEvent): UpsEvent;
}

export type MonitorEvents = {
  snapshot: [snapshot: UpsSnapshot];
  event: [event: UpsEvent];
};

/**
 * Watches one UPS through a source: a quick read every 2 s, a full read every 30 s, and every interrupt report as it
 * arrives. Emits snapshots and upsmon-named events, and tracks contact with a dead time. Readings and events are
 * written to the store before they are emitted.
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
  private lastStatus: readonly string[] | null = null;
  private current: UpsSnapshot;
  private unsubscribe: (() => void)[] = [];
  private lastPollError = '';

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
        // A device that comes back is read in full at once; one that goes is noticed by the next poll.
        if (connected) {
          this.lastFullAt = -Infinity;
          this.schedule(0);
        }
      }),
    );
    await this.source.start();
    // The first reading is worth waiting for (the page and API start with data), but not for long: a relay or a
    // device that is slow to answer must not hold up the rest of the appliance.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.tick(),
      new Promise<void>((r) => {
        timer = setTimeout(r, this.timings.quickIntervalMs);
      }),
    ]);
    clearTimeout(timer);
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

  /** One poll, then the comms check, then the next tick. Never throws. */
  private async tick(): Promise<void> {
    if (!this.running || this.polling) return;
    this.polling = true;
    try {
      const now = this.clock.now();
      const full = now - this.lastFullAt >= this.timings.fullIntervalMs;
      const reading = await this.source.poll(full ? 'full' : 'quick');
      if (full) this.lastFullAt = now;
      this.lastPollError = '';
      this.accept(reading);
    } catch (err) {
      const msg = errorMessage(err);
      if (msg !== this.lastPollError) this.log.warn({ ups: this.name, err: msg }, 'UPS poll failed');
      this.lastPollError = msg;
      this.checkComms();
    } finally {
      this.polling = false;
      this.schedule(this.timings.quickIntervalMs);
    }
  }

  private accept(reading: UpsReading): void {
    this.lastContactAt = this.clock.now();
    this.lastReading = reading;
    this.noCommRaised = false;
    this.publish('ok');
  }

  private checkComms(): void {
    const now = this.clock.now();
    const since = this.lastContactAt || this.startedAt;
    const silent = now - since;
    let next: CommsState;
    if (silent > this.timings.deadTimeMs) next = this.lastContactAt ? 'lost' : 'unknown';
    else next = this.lastContactAt ? 'stale' : 'unknown';
    if (silent > this.timings.noCommMs && !this.noCommRaised) {
      this.noCommRaised = true;
      this.emitEvent({ type: 'NOCOMM', message: `no contact with the UPS for ${Math.round(silent / 1000)} s` }, now);
    }
    this.publish(next);
  }

  private publish(comms: CommsState): void {
    const now = this.clock.now();
    const reading = this.lastReading;
    const status = reading && comms !== 'lost' ? reading.status : [];
    const snapshot: UpsSnapshot = {
      ups: this.name,
      at: now,
      variables: reading ? reading.variables : {},
      status,
      comms,
      lastContactAt: this.lastContactAt,
    };
    const changes = [...(comms === 'ok' || comms === 'stale' ? statusChanges(this.lastStatus, status) : [])];
    const commsEvent = commsChange(this.comms, comms);
    if (commsEvent) changes.unshift(commsEvent);
    if (comms === 'ok' || comms === 'stale') this.lastStatus = status;
    this.comms = comms;
    this.current = snapshot;
    this.sinks.recordSnapshot(snapshot);
    const events = changes.map((c) => this.emitEventQuiet(c, now));
    this.events.emit('snapshot', snapshot);
    for (const e of events) this.events.emit('event', e);
  }

  private emitEventQuiet(c: { type: NewUpsEvent['type']; message: string }, at: number): UpsEvent {
    const e = this.sinks.recordEvent({ at, type: c.type, ups: this.name, message: c.message });
    this.log.info({ ups: this.name, event: e.type }, e.message);
    return e;
  }

  private emitEvent(c: { type: NewUpsEvent['type']; message: string }, at: number): void {
    this.events.emit('event', this.emitEventQuiet(c, at));
  }
}
