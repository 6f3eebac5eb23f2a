import { NotifyPart } from '../../src/app/notify-part.js';
import { notifySchema } from '../../src/config/notify-schema.js';
import { createLogger, type Logger } from '../../src/log.js';
import type { ChannelDeps } from '../../src/notify/channels/index.js';
import type { Db } from '../../src/store/database.js';
import { EventsStore } from '../../src/store/events.js';
import { NotifyQueue } from '../../src/store/notify-queue.js';
import type { NewUpsEvent, UpsEvent } from '../../src/ups/events.js';
import { ManualClock } from '../../src/util/clock.js';
import { Listeners } from '../../src/util/listeners.js';
import type { LiveEvents } from '../../src/web/deps.js';

/**
 * A NotifyPart as the App builds it, on a given store, with a manual clock: events go through `record` (into the
 * events table and out on `live`, as the App's recordEvent does). `restart()` stops the part and starts a new one on
 * the same store, as a process restart would.
 */
export class NotifyRig {
  readonly clock: ManualClock;
  readonly live = new Listeners<LiveEvents>();
  readonly events: EventsStore;
  readonly queue: NotifyQueue;
  part: NotifyPart;
  private readonly build: () => NotifyPart;

  constructor(
    readonly db: Db,
    notify: unknown,
    o: { clock?: ManualClock; log?: Logger; deps?: ChannelDeps; random?: () => number } = {},
  ) {
    this.clock = o.clock ?? new ManualClock(Date.UTC(2026, 11, 2, 12, 0, 0));
    this.events = new EventsStore(db);
    this.queue = new NotifyQueue(db);
    const config = { notify: notifySchema.parse(notify) };
    const log = o.log ?? createLogger({ level: 'silent' });
    this.build = () =>
      new NotifyPart({
        config,
        live: this.live,
        log,
        clock: this.clock,
        db: () => db,
        recordEvent: (e) => this.record(e),
        ...(o.deps ? { channelDeps: o.deps } : {}),
        random: o.random ?? (() => 0.5),
      });
    this.part = this.build();
  }

  record(e: NewUpsEvent): UpsEvent {
    const written = this.events.add(e);
    this.live.emit('event', written);
    return written;
  }

  /** An event as the UPS part would raise it. */
  raise(type: UpsEvent['type'], message = `${type} happened`, ups = 'rack'): UpsEvent {
    return this.record({ at: this.clock.now(), type, ups, message });
  }

  start(): void {
    this.part.start();
  }

  async restart(): Promise<void> {
    await this.part.stop();
    this.part = this.build();
    this.part.start();
  }

  /** Moves the clock on in steps, letting every send started on the way finish before the next step. */
  async run(ms: number, stepMs = 1000): Promise<void> {
    await this.part.idle();
    for (let t = 0; t < ms; t += stepMs) {
      this.clock.advance(Math.min(stepMs, ms - t));
      await this.part.idle();
    }
  }

  eventsOf(type: UpsEvent['type']): UpsEvent[] {
    return this.events.recent(10_000).filter((e) => e.type === type);
  }
}
