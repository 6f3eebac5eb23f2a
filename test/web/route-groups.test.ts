import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { openDatabase } from '../../src/store/database.js';
import { EventsStore } from '../../src/store/events.js';
import { ReadingsStore } from '../../src/store/readings.js';
import { Listeners } from '../../src/util/listeners.js';
import { createWebAuth } from '../../src/web/auth/web-auth.js';
import type { LiveEvents } from '../../src/web/deps.js';
import { ADMIN_CONTEXT } from '../../src/web/plugins/route-groups.js';
import { buildServer } from '../../src/web/server.js';
import { closeAfterTest, fakeShutdown } from '../helpers/web-fakes.js';
import { TEST_PASSWORDS, webLogin } from '../helpers/web-login.js';

// The route groups are encapsulated fastify contexts: the read-only one and the admin one (every route that changes
// state). Who may call a route is no longer the admin context's hook (it was loopback-only) but the root auth hook and
// the access each route declares: no address is special, a login is.

interface SeenRoute {
  readonly method: string;
  readonly url: string;
  readonly admin: boolean;
}

async function build(): Promise<{
  app: FastifyInstance;
  routes: SeenRoute[];
  shutdown: ReturnType<typeof fakeShutdown>;
}> {
  const db = openDatabase(':memory:');
  const shutdown = fakeShutdown();
  const app = buildServer(
    {
      ups: [],
      events: new EventsStore(db),
      readings: new ReadingsStore(db),
      live: new Listeners<LiveEvents>(),
      log: createLogger({ level: 'silent' }),
      now: () => Date.now(),
      shutdown,
      jobs: null,
      auth: createWebAuth({
        db,
        now: () => Date.now(),
        users: {
          verify: (name, password) =>
            Promise.resolve(
              (name === 'operator' || name === 'admin') && password === TEST_PASSWORDS[name] ? name : null,
            ),
        },
      }),
    },
    // No stream slot for anyone: GET /api/stream answers 503 at once instead of holding the inject open.
    { maxStreams: 0 },
  );
  const routes: SeenRoute[] = [];
  // The route plugins load at ready(), so this root hook sees every route, with `this` the context it is in.
  app.addHook('onRoute', function (this: FastifyInstance, r) {
    for (const method of [r.method].flat())
      routes.push({ method, url: r.url, admin: this.hasDecorator(ADMIN_CONTEXT) });
  });
  closeAfterTest(app, db);
  await app.ready();
  return { app, routes, shutdown };
}

const SAFE = new Set(['GET', 'HEAD']);
const READ_ONLY = [
  '/api/status',
  '/api/events',
  '/api/history',
  '/api/stream',
  '/api/plan',
  '/api/runs',
  '/api/runs/:id',
  '/',
  '/app.js',
  '/app.css',
  '/favicon.svg',
  '/favicon.ico',
];
const REMOTE = '192.0.2.7';

describe('web route groups', () => {
  it('every route that is not a GET sits in the admin context; the read-only routes do not', async () => {
    const { routes } = await build();
    const changing = routes.filter((r) => !SAFE.has(r.method));
    expect(changing.map((r) => `${r.method} ${r.url}`).sort()).toEqual(
      expect.arrayContaining(['POST /api/plan/dry-run', 'POST /api/shutdown/test']),
    );
    for (const r of changing) expect(r.admin, `${r.method} ${r.url}`).toBe(true);
    const gets = routes.filter((r) => r.method === 'GET');
    // Other read routes join these as the console grows; these must be among them, outside the admin context.
    expect(gets.map((r) => r.url)).toEqual(expect.arrayContaining([...READ_ONLY, '/api/login/info', '/api/me']));
    for (const r of gets) expect(r.admin, `GET ${r.url}`).toBe(false);
  });

  it('without a login every state-changing route is refused, from loopback too, before its body is parsed', async () => {
    const { app, routes, shutdown } = await build();
    // Login and logout are public (they are how one logs in); every other route that changes state needs a login.
    const changing = routes.filter((r) => !SAFE.has(r.method) && r.url !== '/api/login' && r.url !== '/api/logout');
    expect(changing.length).toBeGreaterThanOrEqual(2);
    for (const r of changing) {
      for (const remoteAddress of [REMOTE, '127.0.0.1']) {
        for (const payload of [undefined, '{"mode":"sideways"', { mode: 'dry' }]) {
          const res = await app.inject({
            method: r.method as 'POST',
            url: r.url.replace(':id', '1').replace(':name', 'x').replace(':cmd', 'beeper.toggle'),
            remoteAddress,
            ...(payload === undefined ? {} : { payload, headers: { 'content-type': 'application/json' } }),
          });
          expect(res.statusCode, `${r.method} ${r.url} ${JSON.stringify(payload)}`).toBe(401);
          expect(res.json()).toEqual({ error: 'UNAUTHENTICATED', message: 'log in first' });
        }
      }
    }
    expect(shutdown.started).toEqual([]);
  });

  it('no address is special: each read route answers a remote caller as it answers loopback', async () => {
    const { app, routes } = await build();
    const { headers } = await webLogin(app, 'admin');
    for (const r of routes.filter((x) => SAFE.has(x.method))) {
      const url = r.url.replace(':id', '1').replace(':name', 'x');
      const method = r.method as 'GET' | 'HEAD';
      const remote = await app.inject({ method, url, remoteAddress: REMOTE, headers });
      const local = await app.inject({ method, url, headers });
      expect(remote.statusCode, `${method} ${url}`).not.toBe(403);
      expect(remote.statusCode, `${method} ${url}`).toBe(local.statusCode);
    }
  });

  it('logged in as an operator, from anywhere, the test routes run, and an invalid body is still a 400 naming the field', async () => {
    const { app, shutdown } = await build();
    const { headers } = await webLogin(app, 'operator');
    const as = { headers, remoteAddress: REMOTE };
    const ok = await app.inject({ ...as, method: 'POST', url: '/api/shutdown/test', payload: { mode: 'dry' } });
    expect(ok.statusCode).toBe(202);
    expect(ok.json()).toEqual({ runId: 1 });
    const dry = await app.inject({ ...as, method: 'POST', url: '/api/plan/dry-run' });
    expect(dry.statusCode).toBe(200);
    expect(dry.json()).toMatchObject({ run: { id: 1, mode: 'dry', passedPointOfNoReturn: false }, steps: [] });
    expect(shutdown.started).toEqual(['dry: test shutdown (dry) from the page', 'dry: dry run from the API']);
    const bad = await app.inject({ ...as, method: 'POST', url: '/api/shutdown/test', payload: { mode: 'sideways' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: 'REQUEST_INVALID', message: expect.stringMatching(/mode/) as unknown });
  });

  it('the plan and runs are read through the façade', async () => {
    const { app } = await build();
    const { headers } = await webLogin(app, 'operator');
    const get = (url: string) => app.inject({ url, headers });
    const plan = (await get('/api/plan')).json<Record<string, unknown>>();
    expect(plan).toMatchObject({
      plan: null,
      cluster: [{ name: 'h1', kind: 'host', host: null, power: 'on' }],
      jobs: [],
      drivers: [],
    });
    expect((await get('/api/runs')).json()).toMatchObject({ runs: [{ id: 1 }], active: [] });
    expect((await get('/api/runs/1')).json()).toMatchObject({ run: { id: 1 }, steps: [] });
    const missing = await get('/api/runs/2');
    expect(missing.statusCode).toBe(404);
    const bad = await get('/api/runs/0');
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toEqual({ error: 'REQUEST_INVALID', message: expect.stringMatching(/id/) as unknown });
  });
});
