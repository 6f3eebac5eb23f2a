import http from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { HistoryResponse } from '../../src/web/api-types/history.js';
import { startSimApp } from '../helpers/demo-app.js';
import { testUsers, webLogin } from '../helpers/web-login.js';

let app: App | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

describe('web API', () => {
  it('GET /api/status shows each UPS with variables, status, comms and last update', async () => {
    app = await startSimApp({ extra: { users: testUsers() } });
    const { headers } = await webLogin(app.server(), 'viewer');
    const res = await app.server().inject({ headers, url: '/api/status' });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ ups: Record<string, unknown>[] }>();
    expect(body.ups).toHaveLength(1);
    const u = body.ups[0]!;
    expect(u).toMatchObject({
      name: 'sim1',
      status: ['OL'],
      comms: 'ok',
      source: { kind: 'sim', location: 'sim:apc-back-ups-cs-500' },
    });
    expect(u.variables).toMatchObject({
      'battery.charge': '100',
      'device.model': 'Back-UPS 500',
      'ups.vendorid': '051d',
    });
    expect(Date.parse(u.lastUpdate as string)).toBeGreaterThan(0);
  });

  it('GET /api/events lists events newest first with id, ISO time, type, ups and message; since= pages', async () => {
    app = await startSimApp({ extra: { users: testUsers() } });
    const { headers } = await webLogin(app.server(), 'viewer');
    const sim = app.simulated('sim1')!;
    sim.setMains(false);
    sim.setMains(true);
    sim.setMains(false);
    const newestFirst = (await app.server().inject({ headers, url: '/api/events' })).json<{
      events: Record<string, unknown>[];
    }>().events;
    const all = [...newestFirst].reverse();
    // The policy's own events (POLICY_WARNING, …) interleave with the UPS's; these are the UPS's, in order.
    expect(all.map((e) => e.type).filter((t) => t === 'ONBATT' || t === 'ONLINE')).toEqual([
      'ONBATT',
      'ONLINE',
      'ONBATT',
    ]);
    expect(newestFirst.map((e) => e.id)).toEqual([...newestFirst.map((e) => e.id as number)].sort((a, b) => b - a));
    expect(all[0]).toMatchObject({ type: 'ONBATT', severity: 'warning', ups: 'sim1', message: 'sim1: on battery' });
    expect(Object.keys(all[0]!).sort()).toEqual(['at', 'id', 'message', 'severity', 'type', 'ups']);
    expect(all[0]!.id).toBeTypeOf('number');
    expect(all[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const after = (
      await app.server().inject({ headers, url: `/api/events?since=${String(all[0]!.id)}&limit=1` })
    ).json<{
      events: { type: string }[];
    }>();
    expect(after.events.map((e) => e.type)).toEqual([all[1]!.type]);
  });

  it('rejects bad queries with a 400 naming the parameter', async () => {
    app = await startSimApp({ extra: { users: testUsers() } });
    const { headers } = await webLogin(app.server(), 'viewer');
    const bad = [
      ['/api/events?limit=0', /limit/],
      ['/api/events?since=abc', /since/],
      ['/api/history?ups=sim1', /var/],
      ['/api/history?ups=sim1&var=battery.charge&from=yesterday', /from: "yesterday" is not an ISO 8601 time/],
      [
        '/api/history?ups=sim1&var=battery.charge&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z',
        /from: must not be after to/,
      ],
    ] as const;
    for (const [url, msg] of bad) {
      const res = await app.server().inject({ url, headers });
      expect(res.statusCode, url).toBe(400);
      expect(res.json<{ error: string; message: string }>().message, url).toMatch(msg);
    }
    const missing = await app.server().inject({ headers, url: '/api/history?ups=nope&var=battery.charge' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json<{ message: string }>().message).toMatch(/no UPS named "nope"/);
  });

  it('GET /api/history serves raw points for short ranges and rollups for long ones', async () => {
    app = await startSimApp({ extra: { users: testUsers() } });
    const { headers } = await webLogin(app.server(), 'viewer');
    const sim = app.simulated('sim1')!;
    sim.setMains(false);
    sim.advance(600);
    await new Promise((r) => setTimeout(r, 2200));
    const now = Date.now();
    // A minute: few enough readings to be served one point each (an hour's would come as 10 s rollups).
    const from = new Date(now - 60_000).toISOString();
    const short = (
      await app.server().inject({ headers, url: `/api/history?ups=sim1&var=battery.charge&from=${from}` })
    ).json<HistoryResponse>();
    expect(short.resolution).toBe('raw');
    expect(short.bucketMs).toBe(1000);
    expect(short.series[0]!.at.length).toBeGreaterThanOrEqual(2);
    expect(short.series[0]!.avg.at(-1)).toBeLessThan(100);
    const long = (
      await app.server().inject({
        headers,
        url: `/api/history?ups=sim1&var=battery.charge&from=${new Date(now - 30 * 86_400_000).toISOString()}`,
      })
    ).json<HistoryResponse>();
    expect(long.resolution).toBe('hour');
    expect(long.series[0]!.at).toHaveLength(1);
    expect(long.series[0]!.max[0]).toBe(100);
    expect(long.series[0]!.min[0]).toBeLessThan(100);
  });

  it('GET /api/stream sends the current state, then every snapshot and event as Server-Sent Events', async () => {
    app = await startSimApp({ extra: { users: testUsers() } });
    const { headers } = await webLogin(app.server(), 'viewer');
    const url = await app.listen('127.0.0.1', 0);
    const received: string[] = [];
    const req = http.get(`${url}/api/stream`, { headers });
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    expect(res.headers['content-type']).toMatch(/text\/event-stream/);
    res.setEncoding('utf8');
    res.on('data', (c: string) => received.push(c));
    await new Promise((r) => setTimeout(r, 100));
    app.simulated('sim1')!.setMains(false);
    await new Promise((r) => setTimeout(r, 100));
    req.destroy();
    const text = received.join('');
    expect(text).toMatch(/^retry: 2000/);
    const frames = text.split('\n\n').filter((f) => f.startsWith('event:'));
    const first = frames[0]!;
    expect(first).toMatch(/^event: snapshot\ndata: \{"name":"sim1"/);
    const eventFrame = frames.find((f) => f.startsWith('event: event') && f.includes('"type":"ONBATT"'));
    expect(JSON.parse(eventFrame!.split('data: ')[1]!)).toMatchObject({ type: 'ONBATT', ups: 'sim1' });
    const lastSnapshot = frames.filter((f) => f.startsWith('event: snapshot')).at(-1)!;
    expect(JSON.parse(lastSnapshot.split('data: ')[1]!)).toMatchObject({ status: ['OB', 'DISCHRG'] });
  });

  it('serves the page and its assets', async () => {
    app = await startSimApp({ extra: { users: testUsers() } });
    const { headers } = await webLogin(app.server(), 'viewer');
    const page = await app.server().inject({ headers, url: '/' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toMatch(/<script type="module" src="\/app\.js\?v=[\w-]+">/);
    for (const asset of ['/app.js', '/app.css', '/favicon.svg']) {
      expect((await app.server().inject({ headers, url: asset })).statusCode, asset).toBe(200);
    }
  });
});
