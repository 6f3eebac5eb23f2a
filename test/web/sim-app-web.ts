import type { FastifyInstance } from 'fastify';
import type { App } from '../../src/app.js';
import { shutdownFacade } from '../../src/app/shutdown-facade.js';
import { createLogger } from '../../src/log.js';
import { openDatabase } from '../../src/store/database.js';
import { EventsStore } from '../../src/store/events.js';
import { ReadingsStore } from '../../src/store/readings.js';
import { createWebAuth, type WebAuthOptions } from '../../src/web/auth/web-auth.js';
import { buildServer } from '../../src/web/server.js';
import { plainUsers } from './auth/rig.js';

export interface SimAppWeb {
  readonly server: FastifyInstance;
  /** Closes the server and its store, then stops the app. */
  close(): Promise<void>;
}

/**
 * The web server over a running sim appliance: its UPSes, live bus and real shutdown side, with the real auth (the
 * test users, without scrypt's cost) over an in-memory store of its own.
 */
export function webOverSimApp(app: App, auth: Partial<Omit<WebAuthOptions, 'db' | 'now' | 'users'>> = {}): SimAppWeb {
  const db = openDatabase(':memory:');
  const server = buildServer({
    ups: app.handles(),
    events: new EventsStore(db),
    readings: new ReadingsStore(db),
    live: app.live,
    log: createLogger({ level: 'silent' }),
    now: () => Date.now(),
    shutdown: shutdownFacade(app.shutdown()!),
    auth: createWebAuth({ db, now: () => Date.now(), users: plainUsers(), ...auth }),
  });
  return {
    server,
    close: async () => {
      await server.close();
      db.close();
      await app.stop();
    },
  };
}
