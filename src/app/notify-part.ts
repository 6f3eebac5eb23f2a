import type { Config } from '../config/schema.js';
import { notifyChannels } from '../config/notify-schema.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { buildChannel, type ChannelDeps } from '../notify/channels/index.js';
import type { Channel } from '../notify/channels/channel.js';
import { NotifyDispatcher, type DeliveryProblem } from '../notify/dispatcher.js';
import type { NotifyFacade } from '../notify/notify-facade.js';
import { notifyOverview } from '../notify/overview.js';
import type { Db } from '../store/database.js';
import { NotifyQueue } from '../store/notify-queue.js';
import type { NewUpsEvent, UpsEvent } from '../ups/events.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Listeners } from '../util/listeners.js';
import type { LiveEvents } from '../web/deps.js';
import type { Part } from './part.js';

export interface NotifyPartOptions {
  readonly config: Readonly<Pick<Config, 'notify' | 'mqtt'>>;
  readonly live: Listeners<LiveEvents>;
  readonly log: Logger;
  readonly clock: Clock;
  /** The store's connection: the queue lives beside the events. */
  readonly db: () => Db;
  /** Records (and broadcasts) an event: NOTIFY_FAILED and NOTIFY_EXPIRED. */
  readonly recordEvent: (e: NewUpsEvent) => UpsEvent;
  /** Injectable for tests. */
  readonly channelDeps?: ChannelDeps;
  readonly random?: () => number;
}

/** Delivered and expired messages are forgotten after this long. */
const KEEP_DONE_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 6 * 3_600_000;

/**
 * Notifications through the queue: every event is queued for each channel that takes it, then sent in order per
 * channel until delivered or expired. Messages queued before a restart are sent by the next start.
 */
export class NotifyPart implements Part {
  readonly name = 'notify';
  private running: { dispatcher: NotifyDispatcher; queue: NotifyQueue; channels: Channel[] } | null = null;
  private unsubscribe: (() => void) | null = null;
  /** While a problem event about a channel is recorded: that channel does not get it (it is the one failing). */
  private problemChannel: string | null = null;
  private pruneTimer: TimerHandle | null = null;

  constructor(private readonly o: NotifyPartOptions) {}

  start(): void {
    if (this.running) return;
    const cfg = this.o.config.notify;
    const log = this.o.log.child({ part: 'notify' });
    const queue = new NotifyQueue(this.o.db());
    const channels = notifyChannels(cfg).map((c) =>
      buildChannel(c, { ...this.o.channelDeps, mqtt: this.o.config.mqtt }),
    );
    const dispatcher = new NotifyDispatcher({
      queue,
      channels,
      clock: this.o.clock,
      log,
      retryBaseMs: cfg.retry_base_s * 1000,
      retryMaxMs: cfg.retry_max_s * 1000,
      expireAfterMs: cfg.expire_after_s * 1000,
      onProblem: (p) => {
        this.recordProblem(p);
      },
      ...(this.o.random ? { random: this.o.random } : {}),
    });
    this.running = { dispatcher, queue, channels };
    this.prune(queue, log);
    this.unsubscribe = this.o.live.on('event', (e) => {
      try {
        dispatcher.enqueue(e, this.problemChannel ?? undefined);
      } catch (err) {
        log.error({ event: e.type, err: errorMessage(err) }, 'cannot queue the notification');
      }
    });
    dispatcher.start();
  }

  /** Forgets finished messages now and every PRUNE_EVERY_MS while running. */
  private prune(queue: NotifyQueue, log: Logger): void {
    try {
      queue.prune(this.o.clock.now() - KEEP_DONE_MS);
    } catch (err) {
      log.warn({ err: errorMessage(err) }, 'cannot prune the notify queue');
    }
    this.pruneTimer = this.o.clock.setTimeout(() => {
      if (this.running?.queue === queue) this.prune(queue, log);
    }, PRUNE_EVERY_MS);
  }

  async stop(): Promise<void> {
    if (this.pruneTimer) this.o.clock.clearTimeout(this.pruneTimer);
    this.pruneTimer = null;
    this.unsubscribe?.();
    this.unsubscribe = null;
    const r = this.running;
    this.running = null;
    if (!r) return;
    await r.dispatcher.stop();
    for (const c of r.channels) c.close?.();
  }

  /** Resolves when nothing is being sent right now (tests). */
  async idle(): Promise<void> {
    await this.running?.dispatcher.idle();
  }

  facade(): NotifyFacade {
    return {
      overview: () => {
        const r = this.running;
        return r
          ? notifyOverview(r.channels, r.queue, this.o.config.notify)
          : { channels: [], recent: [], expireAfterS: 0, retryMaxS: 0 };
      },
      sendTest: (channel, by) => {
        const m = this.running?.dispatcher.enqueueTo(channel, {
          id: 0,
          at: this.o.clock.now(),
          type: 'NOTIFY_TEST',
          ups: '',
          message: `a test notification from upsguard, sent by ${by}`,
        });
        return m ? { messageId: m.id } : null;
      },
    };
  }

  private recordProblem(p: DeliveryProblem): void {
    const message =
      p.type === 'NOTIFY_FAILED'
        ? `notification of ${p.message.event.type} to ${p.channel} failed (${p.error}); retried until delivered or ${new Date(p.message.expiresAt).toISOString()}`
        : `notification of ${p.message.event.type} to ${p.channel} expired undelivered after ${p.message.attempts} attempts (${p.error})`;
    this.problemChannel = p.channel;
    try {
      this.o.recordEvent({ at: this.o.clock.now(), type: p.type, ups: p.message.event.ups, message });
    } finally {
      this.problemChannel = null;
    }
  }
}
