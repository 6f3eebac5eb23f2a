import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

/** Methods that change nothing: no CSRF check. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

function originOf(text: string): string | null {
  try {
    const o = new URL(text).origin;
    return o === 'null' ? null : o;
  } catch {
    return null;
  }
}

/** The origin this request was made to, as a browser would write it (default ports dropped). */
export function ownOrigin(req: FastifyRequest): string | null {
  return originOf(`${req.protocol}://${req.host}`);
}

/** The origin the browser says the request came from: Origin, else Referer's origin; null when neither says. */
export function callerOrigin(req: FastifyRequest): string | null {
  const origin = req.headers.origin;
  if (typeof origin === 'string' && origin !== '') return originOf(origin) ?? 'null';
  const referer = req.headers.referer;
  if (typeof referer === 'string' && referer !== '') return originOf(referer) ?? 'null';
  return null;
}

/**
 * Whether the caller's origin is this page's own. `required`: a request without Origin or Referer is refused (cookie
 * requests, login); otherwise a missing one passes (a script with a Bearer token sends neither) but a foreign one
 * never does.
 */
export function sameOrigin(req: FastifyRequest, required: boolean): boolean {
  const caller = callerOrigin(req);
  if (caller === null) return !required;
  const own = ownOrigin(req);
  return own !== null && caller === own;
}

/** Constant-time comparison of the header's token with the session's. */
export function tokenMatches(sent: string | string[] | undefined, expected: string): boolean {
  if (typeof sent !== 'string' || sent === '') return false;
  // Hashing first makes both sides the same length, so the comparison time says nothing about the token.
  const a = createHash('sha256').update(sent).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
