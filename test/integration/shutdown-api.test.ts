import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { clusterInput } from '../shutdown/fixtures.js';
import { startSimApp } from '../helpers/demo-app.js';
import { until } from '../helpers/until.js';
import { testUsers, webLogin, type WebLogin } from '../helpers/web-login.js';

let app: App;
let headers: WebLogin['headers'];
beforeAll(async () => {
  const shutdown = clusterInput() as Record<string, unknown> & { sim_cluster: { time_scale: number } };
  shutdown.sim_cluster.time_scale = 1000;
  shutdown.default_estimate_s = { vm: 20, host: 30 };
  app = await startSimApp({ extra: { shutdown: shutdown as never, schedule: { dry_run: '' }, users: testUsers() } });
  ({ headers } = await webLogin(app.server(), 'operator'));
});
afterAll(async () => {
  await app.stop();
});

describe('shutdown API', () => {
  it('GET /api/plan: phases in order, estimate, runtime left, cluster', async () => {
    const res = await app.server().inject({ url: '/api/plan', headers });
    expect(res.statusCode).toBe(200);
    const body = res.json<{
      plan: { name: string; phases: { name: string; targets: { name: string }[] }[]; finalHosts: { name: string }[] };
      estimate: { totalS: number };
      runtimeLeftS: number;
      cluster: unknown[];
      problems: unknown[];
    }>();
    expect(body.problems).toEqual([]);
    expect(body.plan.name).toBe('lab');
    expect(body.plan.phases.map((p) => p.name)).toEqual(['shed', 'core', 'hosts']);
    expect(body.plan.finalHosts.map((h) => h.name)).toEqual(['h1']);
    expect(body.estimate.totalS).toBeGreaterThan(60);
    expect(body.runtimeLeftS).toBeGreaterThan(0);
    expect(body.cluster).toHaveLength(7);
  });

  it('refuses mutating calls without a login (loopback is not special) and from a viewer', async () => {
    const res = await app.server().inject({
      method: 'POST',
      url: '/api/shutdown/test',
      payload: { mode: 'dry' },
    });
    expect(res.statusCode).toBe(401);
    const dry = await app.server().inject({ method: 'POST', url: '/api/plan/dry-run', remoteAddress: '192.0.2.7' });
    expect(dry.statusCode).toBe(401);
    const viewer = await webLogin(app.server(), 'viewer');
    const refused = await app.server().inject({ method: 'POST', url: '/api/plan/dry-run', headers: viewer.headers });
    expect(refused.statusCode).toBe(403);
  });

  it('a real test needs the plan name typed; a dry one runs and shows its steps', async () => {
    const bad = await app
      .server()
      .inject({ headers, method: 'POST', url: '/api/shutdown/test', payload: { mode: 'real', confirm: 'nope' } });
    expect(bad.statusCode).toBe(400);
    expect(bad.json<{ message: string }>().message).toContain('(lab)');
    const invalid = await app
      .server()
      .inject({ headers, method: 'POST', url: '/api/shutdown/test', payload: { mode: 'sideways' } });
    expect(invalid.statusCode).toBe(400);
    const dry = await app.server().inject({ headers, method: 'POST', url: '/api/plan/dry-run' });
    expect(dry.statusCode).toBe(200);
    const run = dry.json<{
      run: { id: number; mode: string; status: string };
      steps: { action: string; result: string }[];
    }>();
    expect(run.run).toMatchObject({ mode: 'dry', status: 'completed' });
    expect(run.steps.some((s) => s.action === 'graceful' && s.result === 'dry')).toBe(true);
    const list = await app.server().inject({ url: '/api/runs', headers });
    expect(list.json<{ runs: { id: number }[] }>().runs[0]?.id).toBe(run.run.id);
    const one = await app.server().inject({ url: `/api/runs/${run.run.id}`, headers });
    expect(one.json<{ steps: unknown[] }>().steps.length).toBe(run.steps.length);
    expect((await app.server().inject({ url: '/api/runs/9999', headers })).statusCode).toBe(404);
  });

  it('a real test of a subset shuts down only that subset', async () => {
    const res = await app.server().inject({
      headers,
      method: 'POST',
      url: '/api/shutdown/test',
      payload: { mode: 'real', confirm: 'lab', subset: ['web1'] },
    });
    expect(res.statusCode).toBe(202);
    const { runId } = res.json<{ runId: number }>();
    const cluster = app.shutdown()!.cluster!;
    await until('the run to end', () => app.shutdown()!.runner.journal.run(runId)?.status !== 'running', 10_000, 20);
    expect(app.shutdown()!.runner.journal.run(runId)?.status).toBe('completed');
    expect(cluster.get('web1').power).toBe('off');
    expect(cluster.get('web2').power).toBe('on');
    expect(cluster.get('h1').power).toBe('on');
  });
});
