import type { ChannelConfig } from '../config/notify-schema.js';
import { EVENT_SEVERITY, type EventSeverity } from '../ups/event-severity.js';
import type { UpsEvent, UpsEventType } from '../ups/events.js';

const RANK: Readonly<Record<EventSeverity, number>> = { info: 0, warning: 1, critical: 2 };

/**
 * Events about the power going away or the hosts being shut down: quiet hours never hold these back (someone may
 * need to act, or at least know why the lab is dark in the morning).
 */
export function isShutdownRelated(type: UpsEventType): boolean {
  return type.startsWith('SHUTDOWN') || type === 'FSD' || type === 'LOWBATT' || type === 'POLICY_CRITICAL';
}

/** Minutes since local midnight; injectable so tests do not depend on the machine's zone. */
export type MinuteOfDay = (at: number) => number;

export const localMinuteOfDay: MinuteOfDay = (at) => {
  const d = new Date(at);
  return d.getHours() * 60 + d.getMinutes();
};

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return h! * 60 + m!;
}

/** Whether `minute` falls in [from, to); a window whose from is after its to spans midnight; from = to is empty. */
export function inQuietHours(q: { from: string; to: string }, minute: number): boolean {
  const from = minutes(q.from);
  const to = minutes(q.to);
  if (from <= to) return minute >= from && minute < to;
  return minute >= from || minute < to;
}

/** Whether this channel takes this event: its types, its minimum severity, its quiet hours (never for a shutdown). */
export function routes(c: ChannelConfig, e: UpsEvent, minuteOfDay: MinuteOfDay = localMinuteOfDay): boolean {
  if (c.events !== undefined && !c.events.includes(e.type)) return false;
  if (RANK[EVENT_SEVERITY[e.type]] < RANK[c.min_severity]) return false;
  if (c.quiet_hours !== undefined && !isShutdownRelated(e.type) && inQuietHours(c.quiet_hours, minuteOfDay(e.at)))
    return false;
  return true;
}
