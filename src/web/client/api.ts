// The one way the page talks to the server: JSON in and out, the CSRF token on every change, typed errors.
import type { Me, MeWithOverview } from './types.js';

export type { Me } from './types.js';

export interface Problem {
  path: string;
  message: string;
}

/** A refused or failed request, with the server's own code and words. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
    readonly problems?: Problem[],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let current: Me | null = null;
const unauthorizedListeners = new Set<() => void>();

/** Called when any request answers 401: the session is gone, the app shows the login view. */
export function onUnauthorized(fn: () => void): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

export function setMe(me: Me | null): void {
  current = me;
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) {
    const b = (body ?? {}) as { error?: unknown; message?: unknown; problems?: unknown };
    // A session that ended (expired, revoked): back to the login view. Logged out already, a 401 is just an answer.
    if (res.status === 401 && current !== null) {
      current = null;
      for (const fn of unauthorizedListeners) fn();
    }
    throw new ApiError(
      res.status,
      typeof b.error === 'string' ? b.error : `HTTP_${res.status}`,
      typeof b.message === 'string' ? b.message : text || res.statusText,
      Array.isArray(b.problems) ? (b.problems as Problem[]) : undefined,
    );
  }
  return body as T;
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' }, credentials: 'same-origin' });
  return parse<T>(res);
}

export async function send<T>(method: 'POST' | 'PUT' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (current) headers['x-csrf-token'] = current.csrfToken;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? null : JSON.stringify(body),
  });
  return parse<T>(res);
}

/** Who is logged in, as last known. */
export function me(): Me | null {
  return current;
}

/** The overview's first answers, carried by GET /api/me?overview=1. */
export type FirstOverview = MeWithOverview['overview'];

/**
 * Asks the server who is logged in and, in the same answer, what the overview shows; null when nobody is (401).
 * index.html preloads this very request (same URL, no custom header, same credentials mode) while the bundle loads,
 * so the first overview waits for one round trip that started with the page, not one that starts after it.
 */
export async function refreshMe(): Promise<{ me: Me; overview: FirstOverview | null } | null> {
  const res = await fetch('/api/me?overview=1', { credentials: 'same-origin' });
  if (res.status === 401 || res.status === 404) {
    current = null;
    return null;
  }
  const body = await parse<Me & Partial<MeWithOverview>>(res);
  const { overview, ...me } = body;
  current = me;
  return { me, overview: overview ?? null };
}
