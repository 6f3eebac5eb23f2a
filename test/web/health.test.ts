import { afterEach, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import { createLogger } from '../../src/log.js';
import { openDatabase } from '../../src/store/database.js';
import { EventsStore } from '../../src/store/events.js';
import { ReadingsStore } from '../../src/store/readings.js';
import type { UpsSnapshot } from '../../src/ups/events.js';
import { Listeners } from '../../src/util/listeners.js';
import type { ReadyResponse } from '../../src/web/api-types/health.js';
import type { LiveEvents, WatchedUps, WebDeps } from '../../src/web/deps.js';
import { buildServer } from '../../src/web/server.js';
import { startSimApp } from '../helpers/demo-app.js';
import { until } from '../helpers/until.js';

const apps: App[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop();
});

function fakeUps(name: string, comms: UpsSnapshot['comms']): WatchedUps {
  const snapshot: UpsSnapshot = { ups: name, at: 1, variables: {}, status: ['OL'], comms, lastContactAt: 1 };
  return {
    name,
    snapshot: () => snapshot,
    problem: () => '',
    info: () => ({ kind: 'sim', location: 'test' }),
    diagnostics: () => ({ relay: null }),
  };
}

function server(over: Partial<WebDeps>) {
  const db = openDatabase(':memory:');
  const app = buildServer({
    ups: [],
    events: new EventsStore(db),
    readings: new ReadingsStore(db),
    live: new Listeners<LiveEvents>(),
    log: createLogger({ level: 'silent' }),
    now: () => Date.now(),
    ...over,
  });
  return { app, close: async () => (await app.close(), db.close()) };
}

describe('GET /healthz and /readyz', () => {
  test('a running appliance: alive and ready to anyone, in the minimal shape', async () => {
    const app = await startSimApp();
    apps.push(app);
    const web = app.server();
    const alive = await web.inject({ method: 'GET', url: '/healthz', remoteAddress: '10.9.9.9' });
    expect(alive.statusCode).toBe(200);
    expect(alive.json()).toEqual({ status: 'ok' });
    const ready = await until('ready', async () => {
      const r = await web.inject({ method: 'GET', url: '/readyz', remoteAddress: '10.9.9.9' });
      return r.statusCode === 200 ? r : null;
    });
    expect(ready.json()).toEqual({ status: 'ready', reasons: [], ups: { sim1: 'ok' } });
  });

  test('503 with the reasons: a part not running, the store in memory, a UPS lost or never reached', async () => {
    const s = server({
      ups: [fakeUps('a', 'ok'), fakeUps('b', 'lost'), fakeUps('c', 'unknown'), fakeUps('d', 'stale')],
      store: () => ({ state: 'memory', path: '/var/lib/upsguard/x.db', since: 1, reason: 'SQLITE_FULL' }),
      health: { parts: () => ({ started: ['store', 'ups'], missing: ['nut'] }) },
    });
    try {
      const r = await s.app.inject({ method: 'GET', url: '/readyz' });
      expect(r.statusCode).toBe(503);
      const body = r.json<ReadyResponse>();
      expect(body.status).toBe('not_ready');
      expect(body.reasons).toEqual([
        'not running: nut',
        'the store does not take writes: history is kept in memory',
        'UPS b: contact lost',
        'UPS c: not reached yet',
      ]);
      expect(body.ups).toEqual({ a: 'ok', b: 'lost', c: 'unknown', d: 'stale' });
      // Nothing beyond the shape: no store path, no reason text from the database.
      expect(r.body).not.toContain('/var/lib');
      expect(r.body).not.toContain('SQLITE');
      expect((await s.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await s.close();
    }
  });

  test('a stopping appliance is not ready: the parts already stopped are named', async () => {
    const s = server({
      ups: [fakeUps('a', 'ok')],
      health: { parts: () => ({ started: ['store'], missing: ['ups', 'web'] }) },
    });
    try {
      const r = await s.app.inject({ method: 'GET', url: '/readyz' });
      expect(r.statusCode).toBe(503);
      expect(r.json<ReadyResponse>().reasons).toEqual(['not running: ups, web']);
    } finally {
      await s.close();
    }
  });
});
