// Type-only: GET /api/events and the SSE `event` message. The page imports these with `import type`.
import type { EventSeverity } from '../../ups/event-severity.js';

export interface EventView {
  id: number;
  /** ISO 8601. */
  at: string;
  /** One of UPS_EVENT_TYPES (src/ups/events.ts). */
  type: string;
  severity: EventSeverity;
  ups: string;
  /** In words, naming its UPS: "sim1: back on mains after 2 min 10 s". */
  message: string;
}

/**
 * GET /api/events?type=A,B&ups=NAME&before=ID&limit=N: newest first. `nextBefore` is the `before` that fetches the
 * next (older) page, null when this page reached the oldest matching event.
 */
export interface EventsResponse {
  readonly events: readonly EventView[];
  readonly nextBefore: number | null;
}
