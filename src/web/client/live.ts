// One EventSource for the whole page; views subscribe by message type. EventSource reconnects by itself (the
// server sends `retry:`); when it gives up (a 401 or 503 closes it for good) we open a new one after a pause.
export type LiveType = 'snapshot' | 'event' | 'decision' | 'run' | 'step' | 'restore';
export type LinkState = 'connecting' | 'live' | 'reconnecting';

const TYPES: readonly LiveType[] = ['snapshot', 'event', 'decision', 'run', 'step', 'restore'];
const listeners = new Map<LiveType, Set<(data: unknown) => void>>();
const linkListeners = new Set<(state: LinkState) => void>();
const reopenListeners = new Set<() => void>();
let source: EventSource | null = null;
let retry: ReturnType<typeof setTimeout> | null = null;
let link: LinkState = 'connecting';

function setLink(state: LinkState): void {
  link = state;
  for (const fn of linkListeners) fn(state);
}

function open(): void {
  const es = new EventSource('/api/stream');
  source = es;
  es.addEventListener('open', () => {
    // Views fetched what they show before the stream was open, or before a gap: a message sent in between is lost,
    // so they fetch it again now that nothing more can be missed (the first open too).
    for (const fn of reopenListeners) fn();
    setLink('live');
  });
  es.addEventListener('error', () => {
    setLink('reconnecting');
    if (es.readyState === EventSource.CLOSED && source === es) {
      source = null;
      retry = setTimeout(() => {
        retry = null;
        if (anyListener()) open();
      }, 5000);
    }
  });
  for (const type of TYPES) {
    es.addEventListener(type, (m: MessageEvent<string>) => {
      let data: unknown;
      try {
        data = JSON.parse(m.data);
      } catch {
        return;
      }
      for (const fn of listeners.get(type) ?? []) fn(data);
    });
  }
}

function anyListener(): boolean {
  for (const set of listeners.values()) if (set.size) return true;
  return false;
}

/** Subscribes to one message type of the live stream; the returned function unsubscribes. */
export function onLive(type: LiveType, fn: (data: unknown) => void): () => void {
  let set = listeners.get(type);
  if (!set) listeners.set(type, (set = new Set()));
  set.add(fn);
  if (!source && !retry) open();
  return () => {
    set.delete(fn);
  };
}

/** The stream's link state, for the header badge. */
export function onLinkState(fn: (state: LinkState) => void): () => void {
  linkListeners.add(fn);
  fn(link);
  return () => linkListeners.delete(fn);
}

/** Called each time the stream opens (first and after a gap): what was fetched before may have missed a message. */
export function onReconnect(fn: () => void): () => void {
  reopenListeners.add(fn);
  return () => reopenListeners.delete(fn);
}

/** Closes the stream (on logout): a new subscription opens a new one with the new session. */
export function closeLive(): void {
  source?.close();
  source = null;
  if (retry) clearTimeout(retry);
  retry = null;
  setLink('connecting');
}
