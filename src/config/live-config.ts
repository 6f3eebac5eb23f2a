import type { PlanConfig, PolicyConfig } from './shutdown-schema.js';
import type { Config } from './schema.js';

/**
 * The config in force: frozen like the one loaded at start, but its `policy` and `shutdown.plan` can be swapped for
 * ones edited on the page. Everything else (drivers, UPSes, the web) is read once at start and needs a restart, so
 * only those two can change here; readers call `current()` each time instead of keeping a copy.
 */
export class LiveConfig {
  private config: Readonly<Config>;
  private readonly listeners = new Set<(config: Readonly<Config>) => void>();

  constructor(initial: Readonly<Config>) {
    this.config = initial;
  }

  current(): Readonly<Config> {
    return this.config;
  }

  /** Puts a validated policy in force. */
  setPolicy(policy: PolicyConfig): Readonly<Config> {
    return this.swap({ ...this.config, policy: Object.freeze(policy) });
  }

  /** Puts a validated plan in force (undefined: no plan). */
  setPlan(plan: PlanConfig | undefined): Readonly<Config> {
    const shutdown = Object.freeze({ ...this.config.shutdown, plan });
    return this.swap({ ...this.config, shutdown });
  }

  /** Called after each swap; returns the unsubscribe. */
  onChange(fn: (config: Readonly<Config>) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private swap(next: Config): Readonly<Config> {
    this.config = Object.freeze(next);
    for (const fn of [...this.listeners]) fn(this.config);
    return this.config;
  }
}
