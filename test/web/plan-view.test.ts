import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { formatSeconds, verdictOf } from '../../src/shutdown/verdict.js';
import type { PlanPageView } from '../../src/web/api-types/plan.js';
import type { DryRunResultView } from '../../src/web/api-types/runs.js';
import { startSimApp } from '../helpers/demo-app.js';
import { webLogin, type WebLogin } from '../helpers/web-login.js';
import { clusterInput } from '../shutdown/fixtures.js';
import { webOverSimApp, type SimAppWeb } from './sim-app-web.js';

describe('the dry run verdict (pure)', () => {
  const base = { totalS: 74, runtimeLeftS: 31 * 60, targets: 9, unreachable: [], failedDrivers: [] };

  it('all reachable, within the runtime', () => {
    expect(verdictOf(base)).toEqual({
      ...base,
      verdict: 'would take 74 s of 31 min runtime; all 9 targets reachable',
      ok: true,
    });
  });

  it('names each unreachable target with its driver and why', () => {
    const v = verdictOf({
      ...base,
      unreachable: [
        { name: 'web1', driver: 'sim', reason: 'timeout' },
        { name: 'db', driver: 'ssh', reason: 'auth failed' },
      ],
    });
    expect(v.verdict).toBe(
      'would take 74 s of 31 min runtime; 2 of 9 targets unreachable: web1 (sim: timeout), db (ssh: auth failed)',
    );
    expect(v.ok).toBe(false);
  });

  it('runtime unknown', () => {
    const v = verdictOf({ ...base, runtimeLeftS: null });
    expect(v.verdict).toBe('would take 74 s; all 9 targets reachable; runtime unknown');
    expect(v).toMatchObject({ ok: true, runtimeLeftS: null });
  });

  it('longer than the runtime left is not ok, and says so', () => {
    const v = verdictOf({ ...base, totalS: 40 * 60 });
    expect(v.verdict).toBe(
      'would take 40 min of 31 min runtime: longer than the runtime left; all 9 targets reachable',
    );
    expect(v.ok).toBe(false);
  });

  it('a driver that failed its own check; no estimate; one target; none', () => {
    const v = verdictOf({ ...base, failedDrivers: [{ driver: 'vsphere', reason: 'login refused' }] });
    expect(v.verdict).toBe(
      'would take 74 s of 31 min runtime; all 9 targets reachable; driver vsphere failed its check: login refused',
    );
    expect(v.ok).toBe(false);
    expect(verdictOf({ ...base, totalS: null }).verdict).toBe(
      'duration unknown of 31 min runtime; all 9 targets reachable',
    );
    expect(verdictOf({ ...base, totalS: null }).ok).toBe(false);
    expect(verdictOf({ ...base, targets: 1 }).verdict).toMatch(/; the one target reachable$/);
    expect(verdictOf({ ...base, targets: 0 }).verdict).toMatch(/; no targets$/);
  });

  it('durations read as a person says them', () => {
    expect([0, 74.4, 119, 120, 150, 1860].map(formatSeconds)).toEqual([
      '0 s',
      '74 s',
      '119 s',
      '2 min',
      '2 min 30 s',
      '31 min',
    ]);
  });
});

// The plan page on a real appliance whose cluster has one VM that no call reaches.
let app: App;
let server: FastifyInstance;
let web: SimAppWeb;
let viewer: WebLogin['headers'];
let operator: WebLogin['headers'];

beforeAll(async () => {
  const shutdown = clusterInput({
    vms: [
      { name: 'web1', tags: ['tier3'], shutdown_s: 10 },
      { name: 'web2', tags: ['tier3'], shutdown_s: 15, fails: true },
      { name: 'web3', tags: ['tier3'], shutdown_s: 10 },
      { name: 'spare', tags: ['unplanned'], shutdown_s: 10 },
    ],
  }) as Record<string, unknown> & { sim_cluster: { time_scale: number } };
  // A dry run waits for nothing, so the model's pace only scales what the driver expects: 10 s at 10x is 1 s.
  shutdown.sim_cluster.time_scale = 10;
  shutdown.default_estimate_s = { vm: 20, host: 30 };
  app = await startSimApp({ extra: { shutdown: shutdown as never, schedule: { dry_run: '' } } });
  await app.shutdown()!.checkDrivers();
  web = webOverSimApp(app);
  server = web.server;
  viewer = (await webLogin(server, 'viewer')).headers;
  operator = (await webLogin(server, 'operator')).headers;
}, 60_000);
afterAll(() => web.close());

const plan = async (): Promise<PlanPageView> =>
  (await server.inject({ url: '/api/plan', headers: viewer })).json<PlanPageView>();

describe('GET /api/plan and POST /api/plan/dry-run', () => {
  it('a viewer may not start a dry run; an operator gets its verdict naming the unreachable target', async () => {
    expect((await server.inject({ method: 'POST', url: '/api/plan/dry-run', headers: viewer })).statusCode).toBe(403);
    const res = await server.inject({ method: 'POST', url: '/api/plan/dry-run', headers: operator });
    expect(res.statusCode).toBe(200);
    const body = res.json<DryRunResultView>();
    expect(body.run).toMatchObject({ mode: 'dry', kind: 'dry' });
    expect(body.verdict).toMatchObject({ ok: false, targets: 7, runtimeLeftS: expect.any(Number) as unknown });
    expect(body.verdict.unreachable).toEqual([
      { name: 'web2', driver: 'sim', reason: expect.stringContaining('web2') as unknown },
    ]);
    expect(body.verdict.verdict).toMatch(/^would take .+ of .+ runtime; 1 of 7 targets unreachable: web2 \(sim: .+\)$/);
    expect(body.run.verdict).toEqual(body.verdict);
  });

  it('the plan: phases with estimates and the last dry run, the point of no return, the load-off and the final host', async () => {
    const p = await plan();
    expect(p.plan?.phases.map((x) => [x.name, x.pointOfNoReturn])).toEqual([
      ['shed', false],
      ['core', false],
      ['hosts', true],
    ]);
    expect(p.plan?.loadOff).toEqual({ ups: 'sim1', offDelayS: 60, onDelayS: 90 });
    expect(p.plan?.finalHosts.map((h) => h.name)).toEqual(['h1']);
    expect(p.runtimeLeftS).toBeGreaterThan(0);
    const shed = p.plan!.phases[0]!;
    expect(shed.estimateS).toBeGreaterThan(0);
    const web1 = shed.targets.find((t) => t.name === 'web1')!;
    expect(web1).toMatchObject({ kind: 'vm', host: 'h2', driver: 'sim', power: 'on', tools: null });
    expect(web1.estimate?.medianS).toBeGreaterThan(0);
    expect(web1.lastDryRunS).toBe(1);
    expect(shed.targets.find((t) => t.name === 'web2')?.lastDryRunS).toBeNull();
    expect(p.lastDryRun).toMatchObject({ status: 'failed', verdict: { ok: false } });
    expect(p.lastDryRun?.targets.find((t) => t.name === 'web2')).toMatchObject({ outcome: 'failed', durationS: null });
  });

  it("one list of targets: the plan's and the driver's merged by (driver, name), each saying where the plan uses it", async () => {
    const p = await plan();
    const names = p.targets.map((t) => `${t.driver}/${t.name}`);
    expect(new Set(names).size).toBe(names.length);
    expect(p.targets.find((t) => t.name === 'web1')).toMatchObject({
      inPlan: true,
      phase: 'shed',
      discovered: true,
      power: 'on',
    });
    expect(p.targets.find((t) => t.name === 'h1')).toMatchObject({ inPlan: true, phase: '(final)', kind: 'host' });
    expect(p.targets.find((t) => t.name === 'spare')).toMatchObject({ inPlan: false, phase: null, discovered: true });
    // Every target of the cluster is in the one list, once; other drivers' targets are in it too.
    expect(names.filter((n) => n.startsWith('sim/')).sort()).toEqual(p.cluster.map((n) => `sim/${n.name}`).sort());
    expect(p.targets.find((t) => t.driver === 'nut-secondaries')).toMatchObject({ inPlan: false });
  });

  it("each driver's last check: failed and why, with the targets it found and their power state", async () => {
    const p = await plan();
    const sim = p.drivers.find((d) => d.driver === 'sim')!;
    expect(sim.ok).toBe(false);
    expect(sim.checks.filter((c) => !c.ok).map((c) => c.target)).toContain('web2');
    expect(sim.targets.find((t) => t.name === 'web1')).toMatchObject({ power: 'on', kind: 'vm', host: 'h2' });
    expect(sim.targets.find((t) => t.name === 'web2')?.power).toBe('unknown');
    expect(Date.parse(sim.checkedAt)).toBeGreaterThan(0);
  });
});
