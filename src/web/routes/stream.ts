import type { FastifyInstance } from 'fastify';
import { systemClock } from '../../util/clock.js';
import { ConnectionLimits, remoteKey } from '../../util/connection-limits.js';
import { RateLimitedLog } from '../../util/rate-limited-log.js';
import type { WebRouteOptions } from '../deps.js';
import { eventView, snapshotView } from '../views.js';

/** Bounds on the live stream, so readers that stop reading cannot hold the appliance's memory. */
export interface StreamLimits {
  /** Bytes written but not yet taken by the kernel (response and socket buffers) before a reader is dropped. */
  readonly streamMaxUnsentBytes: number;
  /** A reader whose socket stays full (no 'drain') this long is dropped, whatever it holds. */
  readonly streamStallMs: number;
  /** Open streams in all and from one address; over it, 503. */
  readonly maxStreams: number;
  readonly maxStreamsPerAddress: number;
}

export const DEFAULT_STREAM_LIMITS: StreamLimits = {
  streamMaxUnsentBytes: 256 * 1024,
  streamStallMs: 30_000,
  maxStreams: 32,
  maxStreamsPerAddress: 8,
};

/**
 * Server-Sent Events: every snapshot and event as it happens, and each shutdown run's progress (`run`, `step`). A
 * slow client is dropped rather than buffered without bound, so one stuck browser tab cannot grow the appliance's
 * memory; when the server closes, every stream ends at once, so a stop is never held up by an open page.
 */
export function streamRoutes(
  app: FastifyInstance,
  { deps, limits = DEFAULT_STREAM_LIMITS }: WebRouteOptions & { readonly limits?: StreamLimits },
): void {
  const open = new Set<() => void>();
  const slots = new ConnectionLimits({ perAddress: limits.maxStreamsPerAddress, total: limits.maxStreams });
  const quietLog = new RateLimitedLog({
    log: deps.log.child({ part: 'web' }),
    clock: systemClock,
    maxPerWindow: 5,
    windowMs: 60_000,
  });
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    for (const end of [...open]) end();
    quietLog.flush();
    done();
  });

  app.get('/api/stream', { config: { access: 'viewer' } }, (req, reply) => {
    const remote = remoteKey(req.socket.remoteAddress);
    const slot = slots.admit(remote);
    if (closing || !slot.ok) {
      if (slot.ok) slot.release();
      return reply
        .status(503)
        .header('retry-after', '10')
        .send({
          error: 'UNAVAILABLE',
          message: closing ? 'server closing' : `too many live streams: ${slot.ok ? '' : slot.reason}`,
        });
    }
    reply.hijack();
    const res = reply.raw;
    const socket = res.socket;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    let stall: NodeJS.Timeout | null = null;
    let ended = false;
    const unsent = (): number => res.writableLength + (socket?.writableLength ?? 0);
    const drop = (): void => {
      cleanup();
      res.destroy();
    };
    const write = (text: string): void => {
      if (ended) return;
      if (unsent() + text.length > limits.streamMaxUnsentBytes) {
        quietLog.warn(`unsent ${remote}`, { remote, unsent: unsent() }, 'live stream reader not reading; dropped');
        drop();
        return;
      }
      if (!res.write(text) && !stall) {
        stall = setTimeout(() => {
          quietLog.warn(`stall ${remote}`, { remote }, 'live stream reader stalled; dropped');
          drop();
        }, limits.streamStallMs);
        stall.unref();
      }
    };
    const onDrain = (): void => {
      if (stall) clearTimeout(stall);
      stall = null;
    };
    res.on('drain', onDrain);
    const send = (event: string, data: unknown): void => {
      write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    };
    const byName = new Map(deps.ups.map((u) => [u.name, u]));
    const offSnapshot = deps.live.on('snapshot', (s) => {
      const u = byName.get(s.ups);
      if (u) send('snapshot', snapshotView(u, s, deps));
    });
    const offEvent = deps.live.on('event', (e) => {
      send('event', eventView(e));
    });
    const offRun = deps.live.on('run', (r) => {
      send('run', r);
    });
    const offStep = deps.live.on('step', (st) => {
      send('step', st);
    });
    const offDecision = deps.live.on('decision', (d) => {
      send('decision', d);
    });
    const offRestore = deps.live.on('restore', (r) => {
      send('restore', r);
    });
    const keepAlive = setInterval(() => {
      write(': keep-alive\n\n');
    }, deps.streamKeepAliveMs ?? 15_000);
    keepAlive.unref();
    const end = (): void => {
      if (ended) return;
      const stalled = unsent() > 0;
      cleanup();
      // The server is closing: end the stream and let the socket go, at once for a reader that is not reading.
      if (stalled) res.destroy();
      else
        res.end(() => {
          socket?.destroy();
        });
    };
    function cleanup(): void {
      if (ended) return;
      ended = true;
      clearInterval(keepAlive);
      if (stall) clearTimeout(stall);
      stall = null;
      res.off('drain', onDrain);
      offSnapshot();
      offEvent();
      offRun();
      offStep();
      offDecision();
      offRestore();
      open.delete(end);
      if (slot.ok) slot.release();
    }
    open.add(end);
    req.raw.on('close', cleanup);
    res.on('close', cleanup);
    res.on('error', cleanup);
    // Last, so a reader dropped on its first bytes is already fully wired to be cleaned up.
    write('retry: 2000\n\n');
    for (const u of deps.ups) send('snapshot', snapshotView(u, u.snapshot(), deps));
  });
}
