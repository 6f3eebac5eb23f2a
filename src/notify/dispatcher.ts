import { randomUUID } from 'node:crypto';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import type { NotifyQueue, QueuedMessage } from '../store/notify-queue.js';
import type { UpsEvent } from '../ups/events.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { backoffMs, withTimeout } from '../util/timeout.js';
import { ErrorCode } from '../errors.js';
import type { Channel } from './channels/channel.js';
import { localMinuteOfDay, routes, type MinuteOfDay } from './routing.js';

/** A delivery problem worth an event: the first failure of a streak, or a message given up. */
export interface DeliveryProblem {
  readonly type: 'NOTIFY_FAILED' | 'NOTIFY_EXPIRED';
  readonly channel: string;
  readonly message: QueuedMessage;
  readonly error: string;
}

export interface DispatcherOptions {
  readonly queue: NotifyQueue;
  readonly channels: readonly Channel[];
  readonly clock: Clock;
  readonly log: Logger;
  readonly retryBaseMs: number;
  readonly retryMaxMs: number;
  readonly expireAfterMs: number;
  readonly onProblem: (p: DeliveryProblem) => void;
  /** Injectable for tests. */
  readonly random?: () => number;
  readonly newId?: () => string;
  readonly minuteOfDay?: MinuteOfDay;
}

/** Beyond a channel's own timeout, how long an attempt may take before it counts as failed anyway. */
const ATTEMPT_GRACE_MS = 5000;

/**
 * Sends the queue. Each channel has one pump at a time that sends its oldest pending message, and only then the
 * next: order per channel holds across failures and restarts. A failed attempt is retried after a capped,
 * jittered exponential backoff until the message is delivered or expires. A message is in the store before it is
 * sent and marked sent right after the receiver accepted it; a crash between those two resends it once, with the
 * same message id, for the receiver to drop.
 */
export class NotifyDispatcher {
  private readonly byName: ReadonlyMap<string, Channel>;
  /** Channels whose pump is running; cleared by the pump itself in the same turn as its last queue read. */
  private readonly active = new Set<string>();
  private readonly inflight = new Map<string, Promise<void>>();
  private readonly timers = new Map<string, TimerHandle>();
  private stopped = true;

  constructor(private readonly o: DispatcherOptions) {
    this.byName = new Map(o.channels.map((c) => [c.name, c]));
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    for (const name of this.o.queue.pendingChannels()) {
      if (this.byName.has(name)) this.kick(name);
      else this.o.log.warn({ channel: name }, 'notifications queued for a channel no longer configured stay queued');
    }
  }

  /** Queues the event for every channel that takes it (but `except`, the channel a problem event is about). */
  enqueue(e: UpsEvent, except?: string): QueuedMessage[] {
    const minute = this.o.minuteOfDay ?? localMinuteOfDay;
    const queued: QueuedMessage[] = [];
    for (const c of this.o.channels) {
      if (c.name === except || !routes(c.config, e, minute)) continue;
      queued.push(this.put(c.name, e));
    }
    return queued;
  }

  /** Queues `e` for one channel whatever its routing says (the page's "send a test"); null for an unknown channel. */
  enqueueTo(channel: string, e: UpsEvent): QueuedMessage | null {
    return this.byName.has(channel) ? this.put(channel, e) : null;
  }

  channelNames(): string[] {
    return [...this.byName.keys()];
  }

  private put(channel: string, e: UpsEvent): QueuedMessage {
    const now = this.o.clock.now();
    const m = this.o.queue.enqueue({
      id: (this.o.newId ?? randomUUID)(),
      channel,
      event: e,
      now,
      expiresAt: now + this.o.expireAfterMs,
    });
    this.kick(channel);
    return m;
  }

  /** Stops sending: no new attempt starts; resolves when the attempts in flight have ended (and been recorded). */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers.values()) this.o.clock.clearTimeout(t);
    this.timers.clear();
    await this.idle();
  }

  /** Resolves when no pump is running (every channel is sent out or waiting for its next retry). */
  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight.values()]);
  }

  private kick(name: string): void {
    if (this.stopped || this.active.has(name)) return;
    const t = this.timers.get(name);
    if (t) {
      this.o.clock.clearTimeout(t);
      this.timers.delete(name);
    }
    this.active.add(name);
    const p = this.pump(name).catch((err: unknown) => {
      this.active.delete(name);
      this.o.log.error({ channel: name, err: errorMessage(err) }, 'notify queue pump failed; retried later');
      this.later(name, this.o.retryMaxMs);
    });
    this.inflight.set(name, p);
    void p.finally(() => {
      if (this.inflight.get(name) === p) this.inflight.delete(name);
    });
  }

  private later(name: string, ms: number): void {
    if (this.stopped) return;
    const old = this.timers.get(name);
    if (old) this.o.clock.clearTimeout(old);
    this.timers.set(
      name,
      this.o.clock.setTimeout(
        () => {
          this.timers.delete(name);
          this.kick(name);
        },
        Math.max(0, ms),
      ),
    );
  }

  private async pump(name: string): Promise<void> {
    const channel = this.byName.get(name)!;
    for (;;) {
      if (this.stopped) break;
      const head = this.o.queue.head(name);
      if (!head) break;
      const now = this.o.clock.now();
      if (head.expiresAt <= now) {
        this.o.queue.markExpired(head.id, now);
        this.o.log.error(
          { channel: name, messageId: head.id, event: head.event.type, attempts: head.attempts },
          'notification expired undelivered',
        );
        this.problem({ type: 'NOTIFY_EXPIRED', channel: name, message: head, error: head.lastError ?? 'not sent' });
        continue;
      }
      if (head.nextAt > now) {
        this.later(name, Math.min(head.nextAt, head.expiresAt) - now);
        break;
      }
      await this.attempt(channel, head);
    }
    this.active.delete(name);
  }

  private async attempt(channel: Channel, m: QueuedMessage): Promise<void> {
    try {
      await withTimeout(
        channel.send({ id: m.id, channel: channel.name, event: m.event }),
        channel.config.timeout_ms + ATTEMPT_GRACE_MS,
        `notification to ${channel.name}`,
        // A bound on real I/O: it runs on real time even when the queue's clock is a test's.
        systemClock,
        ErrorCode.NotifyFailed,
      );
    } catch (err) {
      const why = errorMessage(err);
      const now = this.o.clock.now();
      const delay = backoffMs(m.attempts, this.o.retryBaseMs, this.o.retryMaxMs, this.o.random);
      const first = this.o.queue.markFailed(m.id, now + delay, why);
      const fields = { channel: channel.name, messageId: m.id, attempt: m.attempts + 1, retryInMs: delay, err: why };
      if (first) {
        this.o.log.warn(fields, 'notification failed; retrying until it is delivered or expires');
        this.problem({ type: 'NOTIFY_FAILED', channel: channel.name, message: m, error: why });
      } else this.o.log.debug(fields, 'notification failed again');
      return;
    }
    this.o.queue.markSent(m.id, this.o.clock.now());
    if (m.failing) this.o.log.info({ channel: channel.name, messageId: m.id }, 'notification delivered after failures');
  }

  private problem(p: DeliveryProblem): void {
    try {
      this.o.onProblem(p);
    } catch (err) {
      this.o.log.error({ channel: p.channel, err: errorMessage(err) }, 'cannot record the notification problem');
    }
  }
}
