import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import { Jobs } from '../schedule/jobs.js';
import { shutdownJobs } from '../shutdown/jobs.js';
import type { ShutdownService } from '../shutdown/service.js';
import type { NewUpsEvent } from '../ups/events.js';
import type { WatchedSource } from '../shutdown/watched-sources.js';
import type { Clock } from '../util/clock.js';
import type { Part } from './part.js';
import type { StorePart } from './store-part.js';

/** The named background jobs: the daily dry run, the battery test, store retention. */
export class JobsPart implements Part {
  readonly name = 'jobs';
  private jobs: Jobs | null = null;

  constructor(
    private readonly o: {
      config: Readonly<Config>;
      store: StorePart;
      shutdown: () => ShutdownService | null;
      sources: () => readonly WatchedSource[];
      recordEvent: (e: NewUpsEvent) => void;
      clock: Clock;
      log: Logger;
    },
  ) {}

  current(): Jobs | null {
    return this.jobs;
  }

  start(): void {
    if (this.jobs) return;
    const { config: cfg, store, clock, log } = this.o;
    const service = this.o.shutdown();
    this.jobs = new Jobs(
      [
        ...(service
          ? shutdownJobs({
              schedule: cfg.schedule,
              service,
              sources: this.o.sources(),
              record: this.o.recordEvent,
              clock,
            })
          : []),
        {
          name: 'store-retention',
          schedule: '17 * * * *',
          run: () => {
            const removed = store.readings.prune(clock.now(), {
              rawMs: cfg.store.raw_retention_hours * 3_600_000,
              minuteMs: cfg.store.minute_retention_days * 86_400_000,
              hourMs: cfg.store.hour_retention_days * 86_400_000,
            });
            log.info({ removed }, 'store retention applied');
          },
        },
      ],
      log.child({ part: 'jobs' }),
      clock,
    );
    this.jobs.start();
  }

  async stop(): Promise<void> {
    const j = this.jobs;
    this.jobs = null;
    await j?.stop();
  }
}
