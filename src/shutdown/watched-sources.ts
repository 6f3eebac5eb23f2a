import type { UpsSnapshot } from '../ups/events.js';
import type { UpsSource } from '../ups/ups-source.js';

/** One UPS as the shutdown side watches it: its source (for commands) and its monitor's latest snapshot. */
export interface WatchedSource {
  readonly name: string;
  readonly source: UpsSource;
  snapshot(): UpsSnapshot;
}
