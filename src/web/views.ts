import { EVENT_SEVERITY } from '../ups/event-severity.js';
import type { UpsEvent, UpsSnapshot } from '../ups/events.js';
import type { UpsHandle } from '../ups/ups-handle.js';
import type { EventView } from './api-types/events.js';
import type { SelfTestView, StoreView, UpsStateView, UpsStatusView } from './api-types/status.js';
import type { WatchedUps, WebDeps } from './deps.js';
import type { NutStateResponse } from './api-types/nut.js';
import type { RelayInventory } from './routes/devices.js';

// The JSON shapes live in api-types (type-only, for the page); re-exported so older imports keep working.
export type { EventView } from './api-types/events.js';
export type { StoreView, UpsStatusView } from './api-types/status.js';

/** What the console's read routes need beyond WebDeps; every field optional, so tests of other parts omit it. */
export interface ReadApiDeps {
  /** monitor.quick_interval_s in ms: data older than three of these is stale. Default 2000. */
  readonly quickIntervalMs?: number;
  /** The command side of each UPS handle, for GET/POST /api/ups/:name/commands. */
  readonly commands?: readonly Pick<UpsHandle, 'name' | 'supportedCommands' | 'command'>[];
  /** A relay-sourced UPS's agent lists (exported devices and host USB devices); null for other UPSes. */
  readonly relayInventory?: (ups: string) => RelayInventory | null;
  /** The NUT server's state right now. */
  readonly nut?: () => NutStateResponse;
}

const DEFAULT_QUICK_INTERVAL_MS = 2000;
const STALE_INTERVALS = 3;

const iso = (ms: number): string | null => (ms > 0 ? new Date(ms).toISOString() : null);

function num(vars: Readonly<Record<string, string>>, name: string): number | null {
  const text = vars[name];
  if (text === undefined || text.trim() === '') return null;
  const n = Number(text);
  return Number.isFinite(n) ? n : null;
}

const text = (vars: Readonly<Record<string, string>>, ...names: string[]): string | null => {
  for (const n of names) {
    const v = vars[n]?.trim();
    if (v) return v;
  }
  return null;
};

/** The power state in words and colour; the most serious token wins. */
export function stateOf(s: Pick<UpsSnapshot, 'status' | 'comms' | 'at'>): UpsStateView {
  const has = (t: string): boolean => s.status.includes(t);
  if (s.comms === 'lost') return { state: 'comms-lost', words: 'Not reached', tone: 'bad' };
  if (s.status.length === 0) {
    return s.comms === 'unknown'
      ? { state: 'unknown', words: 'Not reached yet', tone: 'muted' }
      : { state: 'unknown', words: 'Unknown', tone: 'muted' };
  }
  if (has('FSD')) return { state: 'forced-shutdown', words: 'Forced shutdown', tone: 'bad' };
  if (has('OFF')) return { state: 'output-off', words: 'Output off', tone: 'bad' };
  if (has('OB') && has('LB')) return { state: 'low-battery', words: 'On battery, low', tone: 'bad' };
  if (has('OB')) return { state: 'on-battery', words: 'On battery', tone: 'warn' };
  if (has('OVER')) return { state: 'overload', words: 'Overloaded', tone: 'bad' };
  if (has('BYPASS')) return { state: 'bypass', words: 'On bypass', tone: 'warn' };
  if (has('CAL')) return { state: 'calibrating', words: 'Calibrating', tone: 'warn' };
  if (has('OL')) return { state: 'online', words: 'On mains', tone: 'ok' };
  return { state: 'unknown', words: 'Unknown', tone: 'muted' };
}

/** What the event log says about one UPS that the snapshot does not: when the outage began, the last self-test. */
interface UpsFacts {
  seenId: number;
  onBatterySince: number | null;
  lastTest: { at: number; message: string } | null;
}

/**
 * Folded from the event log incrementally (only rows newer than the last seen id are read), so a status view built
 * per SSE client per snapshot costs one indexed range read of usually no rows. Keyed by the store, not global: two
 * apps in one process (tests) never share facts.
 */
const factsByStore = new WeakMap<WebDeps['events'], Map<string, UpsFacts>>();

function factsFor(events: WebDeps['events'], ups: string): UpsFacts {
  let byUps = factsByStore.get(events);
  if (!byUps) {
    byUps = new Map();
    factsByStore.set(events, byUps);
  }
  const f = byUps.get(ups) ?? { seenId: 0, onBatterySince: null, lastTest: null };
  for (const e of events.since(f.seenId, ups, ['ONBATT', 'ONLINE', 'BATTERY_TEST'])) {
    f.seenId = e.id;
    if (e.type === 'ONBATT') f.onBatterySince = e.at;
    else if (e.type === 'ONLINE') f.onBatterySince = null;
    else f.lastTest = { at: e.at, message: e.message };
  }
  byUps.set(ups, f);
  return f;
}

function selfTest(vars: Readonly<Record<string, string>>, facts: UpsFacts | null): SelfTestView | null {
  const result = text(vars, 'ups.test.result');
  const dated = text(vars, 'ups.test.date');
  const datedMs = dated === null ? Number.NaN : Date.parse(dated);
  if (result !== null && !/^no test/i.test(result)) {
    return {
      result,
      at: Number.isNaN(datedMs) ? (facts?.lastTest ? iso(facts.lastTest.at) : null) : iso(datedMs),
    };
  }
  if (facts?.lastTest) return { result: facts.lastTest.message, at: iso(facts.lastTest.at) };
  return result === null ? null : { result, at: null };
}

/** What a status view is built with: the clock, the event log (for facts the snapshot lacks) and the poll cadence. */
export type StatusContext = Pick<WebDeps, 'now' | 'events' | 'readApis'>;

/**
 * The live stream builds a view of the same snapshot once per open stream; with 200 of them that is 200 times the
 * same work. A view of one snapshot object is reused while it is under a second old (the ages in it are in seconds).
 */
const recentViews = new WeakMap<UpsSnapshot, { at: number; view: UpsStatusView }>();
const VIEW_REUSE_MS = 1000;

export function snapshotView(ups: WatchedUps, s: UpsSnapshot = ups.snapshot(), ctx?: StatusContext): UpsStatusView {
  const now = ctx ? ctx.now() : Date.now();
  const memo = ctx ? recentViews.get(s) : undefined;
  if (memo && memo.view.name === ups.name && now >= memo.at && now - memo.at < VIEW_REUSE_MS) return memo.view;
  const view = buildSnapshotView(ups, s, now, ctx);
  if (ctx) recentViews.set(s, { at: now, view });
  return view;
}

function buildSnapshotView(ups: WatchedUps, s: UpsSnapshot, now: number, ctx?: StatusContext): UpsStatusView {
  const src = ups.info();
  const vars = s.variables;
  const facts = ctx ? factsFor(ctx.events, ups.name) : null;
  const relay = ups.diagnostics().relay;
  const quickMs = ctx?.readApis?.quickIntervalMs ?? DEFAULT_QUICK_INTERVAL_MS;
  const ageMs = s.at > 0 ? Math.max(0, now - s.at) : null;
  const onBattery = s.status.includes('OB');
  const since = onBattery ? (facts?.onBatterySince ?? null) : null;
  return {
    name: ups.name,
    description: ups.description ?? null,
    source: { kind: src.kind, location: src.location },
    variables: { ...vars },
    status: [...s.status],
    comms: s.comms,
    lastUpdate: iso(s.at),
    lastContact: iso(s.lastContactAt),
    problem: ups.problem() || null,
    relay,
    state: stateOf(s),
    charge: num(vars, 'battery.charge'),
    runtimeS: num(vars, 'battery.runtime'),
    loadPct: num(vars, 'ups.load'),
    inputVoltage: num(vars, 'input.voltage'),
    outputVoltage: num(vars, 'output.voltage'),
    batteryVoltage: num(vars, 'battery.voltage'),
    onBatteryS: since === null ? null : Math.max(0, Math.round((now - since) / 1000)),
    lastSelfTest: selfTest(vars, facts),
    model: text(vars, 'device.model', 'ups.model'),
    maker: text(vars, 'device.mfr', 'ups.mfr'),
    serial: text(vars, 'device.serial', 'ups.serial'),
    link: { comms: s.comms, relay },
    dataAgeS: ageMs === null ? null : Math.round(ageMs / 1000),
    stale: s.comms === 'stale' || s.comms === 'lost' || (ageMs !== null && ageMs > STALE_INTERVALS * quickMs),
  };
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

export function storeView(deps: Pick<WebDeps, 'store'>): StoreView {
  const h = deps.store?.();
  if (!h) return { historyKept: true, path: null, since: null, reason: null };
  return h.state === 'ok'
    ? { historyKept: true, path: h.path, since: null, reason: null }
    : { historyKept: false, path: h.path, since: new Date(h.since).toISOString(), reason: h.reason };
}
