import type { FastifyInstance } from 'fastify';
import type { WebDeps } from '../deps.js';
import { eventView, snapshotView } from '../views.js';

/**
 * Server-Sent Events: every snapshot and event as it happens. A slow client is dropped rather than buffered without
 * bound, so one stuck browser tab cannot grow the appliance's memory.
 */
export function registerStreamRoutes(app: FastifyInstance, deps: WebDeps): void {
  app.get('/api/stream', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    const send = (event: string, data: unknown): void => {
      if (res.writableLength > 1_000_000) {
        res.destroy();
        return;
      }
      res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    res.write('retry: 2000\n\n');
    for (const u of deps.ups) send('snapshot', snapshotView(u));
    const byName = new Map(deps.ups.map((u) => [u.name, u]));
    const offSnapshot = deps.live.on('snapshot', (s) => {
      const u = byName.get(s.ups);
      if (u) send('snapshot', snapshotView(u, s));
    });
    const offEvent = deps.live.on('event', (e) => {
      send('event', eventView(e));
    });
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), deps.streamKeepAliveMs ?? 15_000);
    keepAlive.unref();
    const cleanup = (): void => {
      clearInterval(keepAlive);
      offSnapshot();
      offEvent();
    };
    req.raw.on('close', cleanup);
    res.on('error', cleanup);
  });
}
