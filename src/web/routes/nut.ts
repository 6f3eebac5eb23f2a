import type { FastifyInstance } from 'fastify';
import type { NutServer } from '../../ups/nut/nut-server.js';
import type { NutMdnsView, NutStateResponse } from '../api-types/nut.js';
import type { WebRouteOptions } from '../deps.js';

/** The part of the NUT server the console reads. */
export type NutServerReader = Pick<NutServer, 'address' | 'overview'>;

/**
 * The NUT server's state as GET /api/nut shows it, from the running server (or null) and why it is not running
 * ("disabled", or the start failure such as the port being in use).
 */
export function nutState(server: NutServerReader | null, whyNot: string | null, mdns?: NutMdnsView): NutStateResponse {
  return { ...nutServerState(server, whyNot), ...(mdns ? { mdns } : {}) };
}

function nutServerState(server: NutServerReader | null, whyNot: string | null): NutStateResponse {
  const addr = server?.address() ?? null;
  if (!server || !addr) {
    const disabled = whyNot === 'disabled';
    return {
      state: disabled ? 'disabled' : 'failed',
      host: null,
      port: null,
      reason: disabled ? 'the NUT server is disabled (nut_server.enabled: false)' : (whyNot ?? 'not started'),
      clients: [],
      ups: [],
    };
  }
  const o = server.overview();
  return {
    state: 'listening',
    host: addr.host,
    port: addr.port,
    reason: null,
    clients: o.clients.map((c) => ({
      address: c.address,
      user: c.user,
      upsmon: c.upsmon,
      ups: c.ups,
      since: new Date(c.loggedInAt).toISOString(),
    })),
    ups: o.ups,
  };
}

export function nutRoutes(app: FastifyInstance, { deps }: WebRouteOptions): void {
  app.get(
    '/api/nut',
    { config: { access: 'viewer' } },
    (): NutStateResponse => deps.readApis?.nut?.() ?? nutState(null, 'not part of this server'),
  );
}
