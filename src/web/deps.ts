import type { Logger } from '../log.js';
import type { Jobs } from '../schedule/jobs.js';
import type { EventsStore } from '../store/events.js';
import type { ReadingsStore } from '../store/readings.js';
import type { UpsEvent, UpsSnapshot } from '../ups/events.js';
import type { StoreHealth } from '../store/failover-db.js';
import type { UpsHandle } from '../ups/ups-handle.js';
import type { Listeners } from '../util/listeners.js';
import type { ShutdownFacade } from './facade.js';

/** One watched UPS as the web layer sees it: the reading side of its handle. */
export type WatchedUps = Pick<UpsHandle, 'name' | 'description' | 'snapshot' | 'problem' | 'info' | 'diagnostics'>;

export type LiveEvents = {
  snapshot: [snapshot: UpsSnapshot];
  event: [event: UpsEvent];
};

export interface WebDeps {
  readonly ups: readonly WatchedUps[];
  /** Whether history reaches the disk; protection does not depend on it. */
  readonly store?: () => StoreHealth;
  readonly events: EventsStore;
  readonly readings: ReadingsStore;
  readonly live: Listeners<LiveEvents>;
  readonly log: Logger;
  readonly now: () => number;
  /** Plan, runs and the test-shutdown button, through the façade; absent in tests of other parts. */
  readonly shutdown?: ShutdownFacade;
  /** The named background jobs, for the plan page. */
  readonly jobs?: Pick<Jobs, 'list'> | null;
  /** Milliseconds between SSE keep-alive comments. */
  readonly streamKeepAliveMs?: number;
}

/** What every route plugin is registered with. */
export interface WebRouteOptions {
  readonly deps: WebDeps;
}
