import cron, { type ScheduledTask } from 'node-cron';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log.js';
import { systemClock, type Clock } from '../util/clock.js';

export interface JobDefinition {
  readonly name: string;
  /** A cron expression (node-cron, seconds optional). */
  readonly schedule: string;
  readonly run: () => Promise<void> | void;
}

export interface JobStatus {
  readonly name: string;
  readonly schedule: string;
  readonly lastRunAt: number | null;
  readonly lastError: string | null;
}

/** The named background jobs, started and stopped together; a failing job is logged and runs again next time. */
export class Jobs {
  private readonly tasks = new Map<string, ScheduledTask>();
  private readonly status = new Map<string, { lastRunAt: number | null; lastError: string | null }>();

  constructor(
    private readonly definitions: readonly JobDefinition[],
    private readonly log: Logger,
    /** When a job ran, as the rest of the appliance tells time; the cron timing itself is node-cron's wall clock. */
    private readonly clock: Clock = systemClock,
  ) {}

  start(): void {
    for (const def of this.definitions) {
      if (this.tasks.has(def.name)) continue;
      this.status.set(def.name, { lastRunAt: null, lastError: null });
      const task = cron.schedule(def.schedule, () => this.runNow(def.name), { name: def.name, noOverlap: true });
      this.tasks.set(def.name, task);
    }
  }

  async stop(): Promise<void> {
    for (const t of this.tasks.values()) await t.stop();
    this.tasks.clear();
  }

  async runNow(name: string): Promise<void> {
    const def = this.definitions.find((d) => d.name === name);
    if (!def) return;
    const st = { lastRunAt: this.clock.now(), lastError: null as string | null };
    try {
      await def.run();
    } catch (err) {
      st.lastError = errorMessage(err);
      this.log.error({ job: name, err: st.lastError }, 'scheduled job failed');
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
