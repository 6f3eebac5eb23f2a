import http from 'node:http';
import net from 'node:net';
import { createLogger } from '../../src/log.js';
import { openDatabase } from '../../src/store/database.js';
import { EventsStore } from '../../src/store/events.js';
import { ReadingsStore } from '../../src/store/readings.js';
import { Listeners } from '../../src/util/listeners.js';
import { createWebAuth } from '../../src/web/auth/web-auth.js';
import type { LiveEvents } from '../../src/web/deps.js';
import { buildServer, type WebServerOptions } from '../../src/web/server.js';

// The web server on its own (no UPS), listening on 127.0.0.1, driven by raw sockets.
/** What a test opened, closed in reverse after it (call from afterEach). */
export const closers: (() => Promise<void> | void)[] = [];
export async function closeAll(): Promise<void> {
  for (const c of closers.splice(0).reverse()) await c();
}

export async function startWeb(options: Partial<WebServerOptions> = {}) {
  const db = openDatabase(':memory:');
  const live = new Listeners<LiveEvents>();
  const app = buildServer(
    {
      ups: [],
      events: new EventsStore(db),
      readings: new ReadingsStore(db),
      live,
      log: createLogger({ level: 'silent' }),
      now: () => Date.now(),
      // These tests are about connections and streams, not login: the status and the stream are public here.
      auth: createWebAuth({
        db,
        now: () => Date.now(),
        users: { verify: () => Promise.resolve(null) },
        publicStatus: true,
      }),
    },
    options,
  );
  app.post('/test/echo', { config: { access: 'public' } }, (req) => ({ got: req.body }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as net.AddressInfo).port;
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    await app.close();
    db.close();
  };
  closers.push(close);
  return { app, port, live, close };
}

export function raw(port: number, localAddress = '127.0.0.1'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress }, () => resolve(s));
    s.once('error', reject);
    s.on('error', () => undefined);
    s.resume();
    closers.push(() => {
      s.destroy();
    });
  });
}

export const get = (
  port: number,
  path: string,
  localAddress = '127.0.0.1',
): Promise<{ status: number; body: string }> =>
  new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, localAddress, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
