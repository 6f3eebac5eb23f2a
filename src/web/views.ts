import { EVENT_SEVERITY, type EventSeverity } from '../ups/event-severity.js';
import type { UpsEvent, UpsSnapshot } from '../ups/events.js';
import type { RelayStatus } from '../ups/transport/relay-transport.js';
import type { WatchedUps, WebDeps } from './deps.js';

/** The JSON shapes the API and the live stream share. */
export interface UpsStatusView {
  name: string;
  description: string | null;
  source: { kind: string; location: string };
  variables: Record<string, string>;
  status: string[];
  comms: UpsSnapshot['comms'];
  lastUpdate: string | null;
  lastContact: string | null;
  problem: string | null;
  /** Through which relay, the agent's host, the link state and round trip; null for a local UPS. */
  relay: RelayStatus | null;
}

const iso = (ms: number): string | null => (ms > 0 ? new Date(ms).toISOString() : null);

export function snapshotView(ups: WatchedUps, s: UpsSnapshot = ups.snapshot()): UpsStatusView {
  const src = ups.info();
  return {
    name: ups.name,
    description: ups.description ?? null,
    source: { kind: src.kind, location: src.location },
    variables: { ...s.variables },
    status: [...s.status],
    comms: s.comms,
    lastUpdate: iso(s.at),
    lastContact: iso(s.lastContactAt),
    problem: ups.problem() || null,
    relay: ups.diagnostics().relay,
  };
}

export interface EventView {
  id: number;
  at: string;
  type: string;
  severity: EventSeverity;
  ups: string;
  message: string;
}

export function eventView(e: UpsEvent): EventView {
  return {
    id: e.id,
    at: new Date(e.at).toISOString(),
    type: e.type,
    severity: EVENT_SEVERITY[e.type],
    ups: e.ups,
    message: e.message,
  };
}

/** Whether history is being kept; the page shows a banner when it is not. */
export interface StoreView {
  historyKept: boolean;
  path: string | null;
  since: string | null;
  reason: string | null;
}

export function storeView(deps: Pick<WebDeps, 'store'>): StoreView {
  const h = deps.store?.();
  if (!h) return { historyKept: true, path: null, since: null, reason: null };
  return h.state === 'ok'
    ? { historyKept: true, path: h.path, since: null, reason: null }
    : { historyKept: false, path: h.path, since: new Date(h.since).toISOString(), reason: h.reason };
}
