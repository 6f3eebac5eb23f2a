import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { NotifyOverview, NotifyTestResponse } from '../../src/web/api-types/notify.js';
import { startSimApp } from '../helpers/demo-app.js';
import { until } from '../helpers/until.js';
import { testUsers, webLogin } from '../helpers/web-login.js';
import { HttpReceiver } from './http-receiver.js';

const TOKEN = 'S3cr3t-gotify-app-token';
let app: App | null = null;
const r = new HttpReceiver();
afterEach(async () => {
  await app?.stop();
  app = null;
  await r.stop();
});

describe('GET /api/notify and POST /api/notify/:channel/test, on the real appliance', () => {
  it('shows the channels and their queue without secrets; an admin queues a test that is delivered', async () => {
    const base = await r.start();
    app = await startSimApp({
      extra: {
        users: testUsers(),
        notify: {
          channels: [
            { name: 'ops', kind: 'webhook', url: `${base}/hook?key=${TOKEN}`, events: ['LOWBATT'] },
            { name: 'phone', kind: 'gotify', server: base, token: TOKEN, quiet_hours: { from: '22:00', to: '07:00' } },
          ],
        },
      },
    });
    const server = app.server();
    const admin = await webLogin(server, 'admin');
    const viewer = await webLogin(server, 'viewer');

    const sent = await server.inject({ method: 'POST', url: '/api/notify/ops/test', headers: admin.headers });
    expect(sent.statusCode).toBe(202);
    const body = sent.json<NotifyTestResponse>();
    expect(body.channel).toBe('ops');
    // Routing does not hold back a test (ops only takes LOWBATT).
    const got = await until('the test message', () => r.received.find((x) => x.path.startsWith('/hook')), 20_000);
    expect(got.headers['idempotency-key']).toBe(body.messageId);
    expect(JSON.parse(got.body)).toMatchObject({ type: 'NOTIFY_TEST', message_id: body.messageId });

    const overview = await until(
      'the delivery shown',
      async () => {
        const res = await server.inject({ url: '/api/notify', headers: viewer.headers });
        expect(res.statusCode).toBe(200);
        const o = res.json<NotifyOverview>();
        return o.channels.find((c) => c.name === 'ops')?.lastDeliveredAt ? o : null;
      },
      20_000,
    );
    expect(overview.channels.map((c) => [c.name, c.kind, c.pending])).toEqual([
      ['ops', 'webhook', 0],
      ['phone', 'gotify', 0],
    ]);
    expect(overview.channels[0]).toMatchObject({ events: ['LOWBATT'], minSeverity: 'info', failing: false });
    expect(overview.channels[1]!.quietHours).toEqual({ from: '22:00', to: '07:00' });
    expect(overview.recent[0]).toMatchObject({ id: body.messageId, channel: 'ops', state: 'sent', attempts: 1 });
    expect(JSON.stringify(overview)).not.toContain(TOKEN);
  });

  it('a viewer may not send a test; an unknown channel is a 404', async () => {
    const base = await r.start();
    app = await startSimApp({
      extra: { users: testUsers(), notify: { channels: [{ name: 'ops', kind: 'webhook', url: `${base}/hook` }] } },
    });
    const server = app.server();
    const viewer = await webLogin(server, 'viewer');
    const admin = await webLogin(server, 'admin');
    expect(
      (await server.inject({ method: 'POST', url: '/api/notify/ops/test', headers: viewer.headers })).statusCode,
    ).toBe(403);
    const unknown = await server.inject({ method: 'POST', url: '/api/notify/nope/test', headers: admin.headers });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toMatchObject({ error: 'NOT_FOUND', message: 'no notification channel is named nope' });
    expect((await server.inject({ url: '/api/notify' })).statusCode).toBe(401);
  });
});
