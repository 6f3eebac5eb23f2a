import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { Notifier } from '../notify/notifier.js';
import type { Listeners } from '../util/listeners.js';
import type { LiveEvents } from '../web/deps.js';
import type { Part } from './part.js';

/** Sends every event to the configured channels; on stop, waits a bounded time for deliveries in flight. */
export class NotifyPart implements Part {
  readonly name = 'notify';
  private notifier: Notifier | null = null;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly o: { config: Readonly<Config>; live: Listeners<LiveEvents>; log: Logger }) {}

  start(): void {
    if (this.notifier) return;
    const notifier = new Notifier({ config: this.o.config.notify, log: this.o.log.child({ part: 'notify' }) });
    this.notifier = notifier;
    this.unsubscribe = this.o.live.on('event', (e) => {
      notifier.notify(e);
    });
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    const n = this.notifier;
    this.notifier = null;
    await n?.idle();
  }
}
