import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, test } from 'vitest';
import type { App } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import type { CreatedTokenResponse } from '../../src/web/api-types/users.js';
import { startSimApp } from '../helpers/demo-app.js';
import { smallClusterShutdown } from '../helpers/small-cluster.js';
import { until } from '../helpers/until.js';
import { testUsers, webLogin } from '../helpers/web-login.js';

const apps: App[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop();
});

async function simApp(web: Record<string, unknown> = {}): Promise<{ app: App; server: FastifyInstance }> {
  const shutdown = smallClusterShutdown({ plan: 'lab', vms: [{ name: 'vm1', shutdown_s: 0.2 }] });
  const app = await startSimApp({
    extra: { users: testUsers(), web, shutdown, monitor: { quick_interval_s: 0.25 } },
  });
  apps.push(app);
  await until('a first reading', () => app.handles()[0]!.snapshot().at > 0);
  await until('a first decision', () => app.shutdown()?.decision());
  return { app, server: app.server() };
}

/** One series' value in a scrape, by its name and exact labels text; undefined when absent. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  test('a loopback scraper without a token reads UPS readings under nut_exporter names and upsguard_* metrics', async () => {
    const { app, server } = await simApp();
    const res = await server.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.body;
    const vars = app.handles()[0]!.snapshot().variables;
    expect(valueOf(text, 'network_ups_tools_battery_charge{ups="sim1"}')).toBe(Number(vars['battery.charge']));
    expect(valueOf(text, 'network_ups_tools_battery_runtime{ups="sim1"}')).toBe(Number(vars['battery.runtime']));
    expect(valueOf(text, 'network_ups_tools_ups_status{ups="sim1",flag="OL"}')).toBe(1);
    expect(valueOf(text, 'network_ups_tools_ups_status{ups="sim1",flag="OB"}')).toBe(0);
    expect(text).toMatch(/^network_ups_tools_device_info\{ups="sim1",model="[^"]+",mfr="[^"]+",.*\} 1$/m);
    expect(valueOf(text, 'upsguard_ups_comms{ups="sim1",state="ok"}')).toBe(1);
    expect(valueOf(text, 'upsguard_policy_level{level="normal"}')).toBe(1);
    expect(valueOf(text, 'upsguard_policy_level{level="critical"}')).toBe(0);
    expect(valueOf(text, 'upsguard_nut_server_listening{state="listening"}')).toBe(1);
    expect(valueOf(text, 'upsguard_store_writable')).toBe(1);
    expect(text).toMatch(/^upsguard_plan_estimate_seconds\{plan="[^"]+"\} \d/m);
    expect(text).toMatch(/^upsguard_plan_margin_seconds\{ups="sim1",plan="[^"]+"\} -?\d/m);
    // Every line is a comment or `name{labels} value`: what Prometheus parses.
    for (const line of text.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eNaInf]+$/);
    }
  });

  test('mains lost: the status flags and the policy follow on the next scrape', async () => {
    const { app, server } = await simApp();
    app.simulated('sim1')!.setMains(false);
    const text = await until('OB in the scrape', async () => {
      const body = (await server.inject({ method: 'GET', url: '/metrics' })).body;
      return valueOf(body, 'network_ups_tools_ups_status{ups="sim1",flag="OB"}') === 1 ? body : null;
    });
    expect(valueOf(text, 'network_ups_tools_ups_status{ups="sim1",flag="OL"}')).toBe(0);
    expect(text).toMatch(/^upsguard_policy_reason\{trigger="on_battery",ups="sim1",level="(warning|critical)"\} 1$/m);
  });

  test('off the scrape networks: refused without a token, served with a read token or a viewer session', async () => {
    const { server } = await simApp();
    const far = { method: 'GET' as const, url: '/metrics', remoteAddress: '10.1.2.3' };
    const anonymous = await server.inject(far);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.body).not.toContain('network_ups_tools');

    const admin = await webLogin(server);
    const made = await server.inject({
      method: 'POST',
      url: '/api/tokens',
      headers: admin.headers,
      payload: { name: 'prometheus', scope: 'read' },
    });
    const token = made.json<CreatedTokenResponse>().token;
    const withToken = await server.inject({ ...far, headers: { authorization: `Bearer ${token}` } });
    expect(withToken.statusCode).toBe(200);
    expect(withToken.body).toContain('network_ups_tools_battery_charge{ups="sim1"}');

    const wrong = await server.inject({ ...far, headers: { authorization: 'Bearer ugt_not-a-real-token' } });
    expect(wrong.statusCode).toBe(401);
    // A bad token is refused even from loopback: a scraper that sends one learns it is wrong.
    const wrongLocal = await server.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer x' } });
    expect(wrongLocal.statusCode).toBe(401);

    const viewer = await webLogin(server, 'viewer');
    const session = await server.inject({ ...far, headers: { cookie: viewer.headers.cookie, host: 'localhost' } });
    expect(session.statusCode).toBe(200);
  });

  test('web.metrics_networks replaces loopback: a listed network scrapes, loopback no longer does', async () => {
    const { server } = await simApp({ metrics_networks: ['10.0.0.0/8', 'fd00::/8'] });
    expect((await server.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.200.0.1' })).statusCode).toBe(200);
    expect((await server.inject({ method: 'GET', url: '/metrics', remoteAddress: 'fd00::5' })).statusCode).toBe(200);
    expect((await server.inject({ method: 'GET', url: '/metrics', remoteAddress: '11.0.0.1' })).statusCode).toBe(401);
    expect((await server.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
  });

  test('a malformed network in the config is a config error naming the entry', () => {
    const load = (networks: string[]) =>
      validateConfig(
        { ups: [{ name: 'u', source: { kind: 'sim' } }], web: { metrics_networks: networks } },
        'test',
        process.cwd(),
        {},
      );
    expect(() => load(['10.0.0.0/33'])).toThrow(/web\.metrics_networks\.0: "10\.0\.0\.0\/33": prefix length/);
    expect(() => load(['127.0.0.1', 'not-an-ip'])).toThrow(/web\.metrics_networks\.1: "not-an-ip": not an IPv4/);
    expect(load(['192.168.1.0/24', '::1']).config.web.metrics_networks).toEqual(['192.168.1.0/24', '::1']);
  });
});
