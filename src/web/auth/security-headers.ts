import type { FastifyReply, FastifyRequest } from 'fastify';

/** No inline script or style, nothing from elsewhere, never framed. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const ALWAYS: ReadonlyArray<[string, string]> = [
  ['content-security-policy', CONTENT_SECURITY_POLICY],
  ['x-content-type-options', 'nosniff'],
  ['referrer-policy', 'no-referrer'],
  ['x-frame-options', 'DENY'],
  ['cross-origin-opener-policy', 'same-origin'],
  ['cross-origin-resource-policy', 'same-origin'],
];

/** Set on every response (an onSend hook): errors, 404s and refusals included. */
export function setSecurityHeaders(req: FastifyRequest, reply: FastifyReply): void {
  for (const [name, value] of ALWAYS) void reply.header(name, value);
  if (req.protocol === 'https') void reply.header('strict-transport-security', 'max-age=31536000');
  // API answers carry state and sometimes secrets shown once (a new token): never kept by a cache.
  if (req.url.startsWith('/api/')) void reply.header('cache-control', 'no-store');
}
