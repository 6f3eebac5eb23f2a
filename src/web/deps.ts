import type { Logger } from '../log.js';
import type { EventsStore } from '../store/events.js';
import type { ReadingsStore } from '../store/readings.js';
import type { UpsEvent, UpsSnapshot } from '../ups/events.js';
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
  /** Milliseconds between SSE keep-alive comments. */
  readonly streamKeepAliveMs?: number;
}
