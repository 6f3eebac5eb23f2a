// Type-only: GET /api/notify and POST /api/notify/:channel/test. The page imports these with `import type`.

/** One channel: how it is configured (no secret, no URL) and how its queue stands. */
export interface NotifyChannelView {
  readonly name: string;
  /** webhook, ntfy, gotify, discord, slack, telegram, pushover, email or command. */
  readonly kind: string;
  /** Where it goes, safe to show: a host or origin, a topic, a command path; never a token or a URL's query. */
  readonly target: string;
  /** The event types it takes; null: all. */
  readonly events: readonly string[] | null;
  readonly minSeverity: 'info' | 'warning' | 'critical';
  readonly quietHours: { readonly from: string; readonly to: string } | null;
  /** Messages waiting (the first may be failing). */
  readonly pending: number;
  /** Whether the oldest pending message's last attempt failed. */
  readonly failing: boolean;
  readonly expired: number;
  /** ISO 8601 of the last delivery; null if none is kept. */
  readonly lastDeliveredAt: string | null;
  /** The last failure, already free of secrets; null if none. */
  readonly lastError: string | null;
  /** ISO 8601 of the oldest message still waiting; null when none waits. */
  readonly oldestPendingAt: string | null;
}

/** A queued message, newest first in `recent`. */
export interface NotifyMessageView {
  readonly id: string;
  readonly channel: string;
  readonly eventType: string;
  readonly ups: string;
  readonly state: 'pending' | 'sent' | 'expired';
  readonly attempts: number;
  readonly createdAt: string;
  /** ISO 8601 of the next attempt while pending; null otherwise. */
  readonly nextAttemptAt: string | null;
  readonly doneAt: string | null;
  readonly lastError: string | null;
}

/** GET /api/notify. */
export interface NotifyOverview {
  readonly channels: readonly NotifyChannelView[];
  readonly recent: readonly NotifyMessageView[];
  readonly expireAfterS: number;
  readonly retryMaxS: number;
}

/** POST /api/notify/:channel/test (202). */
export interface NotifyTestResponse {
  readonly channel: string;
  readonly messageId: string;
}
