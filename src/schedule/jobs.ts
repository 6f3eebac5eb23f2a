import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { parseCron, type CronExpression } from './cron-expression.js';

export interface JobDefinition {
  readonly name: string;
  /** A cron expression (node-cron's syntax, seconds optional; see cron-expression.ts). */
  readonly schedule: string;
  readonly run: () => Promise<void> | void;
}

export interface JobStatus {
  readonly name: string;
  readonly schedule: string;
  readonly lastRunAt: number | null;
  readonly lastError: string | null;
}

/**
 * The named background jobs, started and stopped together; a failing job is logged and runs again next time. The
 * cron expressions (node-cron's syntax) are matched against the injected clock once a second (so a manual clock in a
 * test runs them exactly when due); a job still running when it is due again is skipped, not stacked.
 */
export class Jobs {
  private readonly matchers = new Map<string, CronExpression>();
  private readonly status = new Map<string, { lastRunAt: number | null; lastError: string | null }>();
  private readonly running = new Set<string>();
  private timer: TimerHandle | null = null;
  private lastSecond = -1;

  constructor(
    private readonly definitions: readonly JobDefinition[],
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {}

  start(): void {
    if (this.timer) return;
    for (const def of this.definitions) {
      if (this.matchers.has(def.name)) continue;
      this.status.set(def.name, { lastRunAt: null, lastError: null });
      this.matchers.set(def.name, parseCron(def.schedule));
    }
    this.lastSecond = Math.floor(this.clock.now() / 1000);
    this.schedule();
  }

  stop(): Promise<void> {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = null;
    this.matchers.clear();
    return Promise.resolve();
  }

  private schedule(): void {
    const now = this.clock.now();
    this.timer = this.clock.setTimeout(
      () => {
        this.tick();
      },
      1000 - (now % 1000),
    );
  }

  private tick(): void {
    const second = Math.floor(this.clock.now() / 1000);
    // Every second since the last tick is looked at once: a late timer does not skip a due job.
    for (let s = Math.max(this.lastSecond + 1, second - 60); s <= second; s++) {
      const at = new Date(s * 1000);
      for (const [name, m] of this.matchers) {
        if (m.matches(at) && !this.running.has(name)) void this.runNow(name);
      }
    }
    this.lastSecond = second;
    if (this.matchers.size > 0) this.schedule();
  }

  async runNow(name: string): Promise<void> {
    const def = this.definitions.find((d) => d.name === name);
    if (!def) return;
    const st = { lastRunAt: this.clock.now(), lastError: null as string | null };
    this.running.add(name);
    try {
      await def.run();
    } catch (err) {
      st.lastError = errorMessage(err);
      this.log.error({ job: name, err: st.lastError }, 'scheduled job failed');
    } finally {
      this.running.delete(name);
    }
    this.status.set(name, st);
  }

  list(): JobStatus[] {
    return this.definitions.map((d) => ({
      name: d.name,
      schedule: d.schedule,
      lastRunAt: this.status.get(d.name)?.lastRunAt ?? null,
      lastError: this.status.get(d.name)?.lastError ?? null,
    }));
  }
}
