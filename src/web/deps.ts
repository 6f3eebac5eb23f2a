import type { Logger } from '../log.js';
import type { Jobs } from '../schedule/jobs.js';
import type { ShutdownService } from '../shutdown/service.js';
import type { EventsStore } from '../store/events.js';
import type { ReadingsStore } from '../store/readings.js';
import type { UpsEvent, UpsSnapshot } from '../ups/events.js';
import type { RelayStatus } from '../ups/transport/relay-transport.js';
import type { UpsSourceInfo } from '../ups/ups-source.js';
import type { Listeners } from '../util/listeners.js';

/** One watched UPS as the web layer sees it. */
export interface WatchedUps {
  readonly name: string;
  readonly description?: string;
  snapshot(): UpsSnapshot;
  source(): UpsSourceInfo;
  /** Why the UPS cannot be read right now, empty when it can. */
  problem(): string;
  /** The relay the UPS comes through, when it does. */
  relay?(): RelayStatus;
}

export type LiveEvents = {
  snapshot: [snapshot: UpsSnapshot];
  event: [event: UpsEvent];
};

export interface WebDeps {
  readonly ups: readonly WatchedUps[];
  readonly events: EventsStore;
  readonly readings: ReadingsStore;
  readonly live: Listeners<LiveEvents>;
  readonly log: Logger;
  readonly now: () => number;
  /** Plan, runs and the test-shutdown button; absent in tests of other parts. */
  readonly shutdown?: ShutdownService;
  readonly jobs?: Jobs | null;
  /** Milliseconds between SSE keep-alive comments. */
  readonly streamKeepAliveMs?: number;
}
