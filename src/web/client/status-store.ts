// The UPSes' live state, shared by the shell (banner, tab title) and the overview: first from GET /api/status,
// then from the stream's `snapshot` messages. Also the decision (GET /api/decision, then `decision` messages).
import { useEffect, useState } from 'preact/hooks';
import { ApiError, getJson } from './api.js';
import { onLive, onReconnect } from './live.js';
import type { Decision, StatusResponse, StoreStatus, UpsStatus } from './types.js';

export interface LiveStatus {
  ups: readonly UpsStatus[];
  store: StoreStatus | null;
  decision: Decision | null;
  /** When the decision arrived here: its clocks move on from then. */
  decisionAt: number;
  /** When each UPS's last snapshot arrived here, to age values between snapshots without trusting clocks. */
  receivedAt: Record<string, number>;
  loaded: boolean;
  error: string | null;
}

let state: LiveStatus = {
  ups: [],
  store: null,
  decision: null,
  decisionAt: 0,
  receivedAt: {},
  loaded: false,
  error: null,
};
const subscribers = new Set<(s: LiveStatus) => void>();
let started = false;
let seeded = false;
let stops: (() => void)[] = [];

function set(next: Partial<LiveStatus>): void {
  state = { ...state, ...next };
  for (const fn of subscribers) fn(state);
}

function upsert(u: UpsStatus): void {
  const i = state.ups.findIndex((x) => x.name === u.name);
  const ups = i < 0 ? [...state.ups, u] : state.ups.map((x, j) => (j === i ? u : x));
  set({ ups, receivedAt: { ...state.receivedAt, [u.name]: Date.now() } });
}

async function loadStatus(): Promise<void> {
  try {
    const s = await getJson<StatusResponse>('/api/status');
    const now = Date.now();
    set({
      ups: s.ups,
      store: s.store,
      receivedAt: Object.fromEntries(s.ups.map((u) => [u.name, now])),
      loaded: true,
      error: null,
    });
  } catch (e) {
    set({ loaded: true, error: e instanceof Error ? e.message : String(e) });
  }
}

async function loadDecision(): Promise<void> {
  try {
    const decision = await getJson<Decision>('/api/decision');
    set({ decision, decisionAt: Date.now() });
  } catch (e) {
    // A server without the decision endpoint (404) or a viewer without access: the overview goes on without it.
    if (!(e instanceof ApiError)) throw e;
  }
}

/**
 * Takes the overview's first answers from GET /api/me?overview=1 (the page's first request), so the overview does not
 * ask for them again at start. The stream's first open still reloads both: what changed in between is not lost.
 */
export function seedStatus(status: StatusResponse, decision: Decision | null): void {
  const now = Date.now();
  seeded = true;
  set({
    ups: status.ups,
    store: status.store,
    receivedAt: Object.fromEntries(status.ups.map((u) => [u.name, now])),
    loaded: true,
    error: null,
    ...(decision ? { decision, decisionAt: now } : {}),
  });
}

function start(): void {
  if (started) return;
  started = true;
  if (!seeded) {
    void loadStatus();
    void loadDecision();
  }
  stops = [
    onLive('snapshot', (d) => {
      upsert(d as UpsStatus);
    }),
    onLive('decision', (d) => {
      set({ decision: d as Decision, decisionAt: Date.now() });
    }),
    onLive('event', (d) => {
      const type = (d as { type?: string }).type;
      // The store banner follows the store's own events; the rest of the status comes in snapshots.
      if (type === 'STORE_FAILED' || type === 'STORE_OK') void loadStatus();
    }),
    onReconnect(() => {
      void loadStatus();
      void loadDecision();
    }),
  ];
}

/** Forgets everything (on logout), so the next user's page starts fresh. */
export function resetStatus(): void {
  for (const stop of stops) stop();
  stops = [];
  started = false;
  seeded = false;
  state = { ups: [], store: null, decision: null, decisionAt: 0, receivedAt: {}, loaded: false, error: null };
}

export function useLiveStatus(): LiveStatus {
  const [s, setS] = useState(state);
  useEffect(() => {
    subscribers.add(setS);
    start();
    setS(state);
    return () => {
      subscribers.delete(setS);
    };
  }, []);
  return s;
}

/** A clock that ticks every second, for countdowns and ages (re-renders only; it asks the server nothing). */
export function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => {
      setNow(Date.now());
    }, 1000);
    return () => {
      clearInterval(t);
    };
  }, []);
  return now;
}
