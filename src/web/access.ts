/**
 * Who may call a route. Every route says it in its options (`config: { access: 'operator' }`); one root hook (the
 * auth plugin) enforces it. Without it, a GET or HEAD needs a viewer and anything else an admin, so a route that
 * forgets to say is closed, not open.
 */
export type Access = 'public' | 'viewer' | 'operator' | 'admin' | 'metrics';

/** A web role, strongest last. Web and NUT roles of one user are separate. */
export type WebRole = 'viewer' | 'operator' | 'admin';

export const WEB_ROLES: readonly WebRole[] = ['viewer', 'operator', 'admin'];

/** Who is calling: a logged-in user (session cookie) or a script (API token). */
export interface Principal {
  readonly name: string;
  readonly role: WebRole;
  readonly via: 'session' | 'token';
  /** The session's or token's id, for revocation and the audit log. */
  readonly id: string;
}

/** Whether a role may call a route of that access. */
export function allows(role: WebRole | null, access: Access): boolean {
  if (access === 'public') return true;
  if (role === null) return false;
  // A scrape (`metrics`) needs any logged-in role or token; an anonymous scraper from web.metrics_networks is let in
  // by the auth hook, which knows the address.
  if (access === 'metrics') return true;
  return WEB_ROLES.indexOf(role) >= WEB_ROLES.indexOf(access);
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    /** Set by the auth hook before any handler runs; null for an anonymous caller of a public route. */
    principal: Principal | null;
    /** A route may say what it did, in words, for the audit row of a state-changing request. */
    auditDetail?: string;
  }
}
