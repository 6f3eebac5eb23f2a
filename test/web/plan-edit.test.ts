import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import type { PlanConfigResponse, PlanPreviewResponse } from '../../src/web/api-types/plan-config.js';
import type { ConfigProblemsResponse, SectionSaveResponse } from '../../src/web/api-types/policy.js';
import { webLogin } from '../helpers/web-login.js';
import { startFromFile } from './policy-edit-rig.js';

const CONFIG = `# a small lab on a simulated cluster
store:
  path: ":memory:" # nothing kept
nut_server:
  port: 0 # any free port
ups:
  - name: sim1 # the UPS
    source:
      kind: sim
      scenario: steady
schedule:
  dry_run: "" # off

shutdown:
  # the cluster the plan runs on
  sim_cluster:
    time_scale: 1000
    call_latency_ms: 0
    hosts:
      - name: pve1 # the UPS host
        vms:
          - name: web1
            tags: [web]
          - name: db1
            tags: [core]
  # the plan: shed the web tier, then the database
  plan:
    name: lab # shown on the page
    ups_host: pve1
    phases:
      - name: shed # first
        targets:
          - tags: [web]
        timeout_s: 30 # seconds
      - name: core
        targets:
          - tags: [core]
      - name: hosts # last
        targets:
          - names: [pve1]
  default_estimate_s:
    vm: 10 # learned later
    host: 20
`;

type Plan = { name: string; phases: { name: string; timeout_s?: number }[] } & Record<string, unknown>;

describe('plan: view, preview, save', () => {
  it('GET /api/plan/config gives the section as written, drivers, known targets and UPS names', async () => {
    const { server } = await startFromFile(CONFIG);
    const { headers } = await webLogin(server, 'viewer');
    const body = (await server.inject({ url: '/api/plan/config', headers })).json<PlanConfigResponse>();
    expect(body.plan).toEqual((parse(CONFIG) as { shutdown: { plan: unknown } }).shutdown.plan);
    expect(body.drivers).toEqual(['sim', 'nut-secondaries']);
    expect(body.ups).toEqual(['sim1']);
    expect(body.targets.map((t) => t.name)).toEqual(expect.arrayContaining(['db1', 'pve1', 'web1']));
    expect(body.targets.find((t) => t.name === 'db1')).toEqual({
      name: 'db1',
      kind: 'vm',
      driver: 'sim',
      host: 'pve1',
    });
    expect(body.editable).toBe(true);
  });

  it('preview resolves a candidate against the last discovery without touching the plan in force', async () => {
    const { server, app, file } = await startFromFile(CONFIG);
    const { headers } = await webLogin(server, 'admin');
    const plan = (parse(CONFIG) as { shutdown: { plan: Plan } }).shutdown.plan;
    const candidate = { ...plan, phases: [plan.phases[1], plan.phases[0], plan.phases[2]] };
    const res = await server.inject({
      method: 'POST',
      url: '/api/plan/preview',
      headers,
      payload: { plan: candidate },
    });
    const body = res.json<PlanPreviewResponse>();
    expect(body.valid, res.body).toBe(true);
    const inForce = app
      .shutdown()!
      .plan()
      .plan!.phases.map((p) => p.name);
    expect(inForce.slice(0, 2)).toEqual(['shed', 'core']);
    expect(body.plan!.phases.map((p) => p.name)).toEqual(['core', 'shed', ...inForce.slice(2)]);
    expect(body.plan!.phases[0]!.targets.map((t) => t.name)).toEqual(['db1']);
    expect(body.plan!.finalHosts.map((t) => t.name)).toEqual(['pve1']);
    expect(body.plan!.totalS).toBeGreaterThan(0);
    expect(body.plan!.phases[0]!.targets[0]!.p90S).toBeGreaterThan(0);
    expect(
      app
        .shutdown()!
        .plan()
        .plan!.phases.map((p) => p.name),
    ).toEqual(inForce);
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
  });

  it('problems from the schema and the plan rules come by path, and leave the file alone', async () => {
    const { server, file } = await startFromFile(CONFIG);
    const { headers } = await webLogin(server, 'admin');
    const plan = (parse(CONFIG) as { shutdown: { plan: Plan } }).shutdown.plan;
    const bad = { ...plan, point_of_no_return: 'nowhere', phases: [{ ...plan.phases[0], timeout_s: -1 }] };
    const preview = (
      await server.inject({ method: 'POST', url: '/api/plan/preview', headers, payload: { plan: bad } })
    ).json<PlanPreviewResponse>();
    expect(preview.valid).toBe(false);
    expect(preview.problems.map((p) => p.path)).toContain('shutdown.plan.phases.0.timeout_s');
    const ordering = { ...plan, point_of_no_return: 'nowhere' };
    const put = await server.inject({ method: 'PUT', url: '/api/plan/config', headers, payload: { plan: ordering } });
    expect(put.statusCode).toBe(400);
    const problems = put.json<ConfigProblemsResponse>().problems;
    expect(problems.map((p) => p.path)).toEqual(['shutdown.plan.point_of_no_return']);
    expect(problems[0]?.message).toContain('no phase named nowhere');
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
  });

  it('PUT writes the plan keeping the comments, applies it and refreshes the plan view', async () => {
    const { server, app, file } = await startFromFile(CONFIG);
    const { headers } = await webLogin(server, 'admin');
    const plan = (parse(CONFIG) as { shutdown: { plan: Plan } }).shutdown.plan;
    const candidate = { ...plan, phases: plan.phases.map((p, i) => (i === 0 ? { ...p, timeout_s: 45 } : p)) };
    const res = await server.inject({ method: 'PUT', url: '/api/plan/config', headers, payload: { plan: candidate } });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<SectionSaveResponse>()).toMatchObject({
      saved: true,
      differences: [{ path: 'shutdown.plan.phases.0.timeout_s', from: 30, to: 45 }],
    });
    expect(readFileSync(file, 'utf8')).toBe(CONFIG.replace('timeout_s: 30 # seconds', 'timeout_s: 45 # seconds'));
    expect(app.shutdown()!.plan().plan!.phases[0]!.timeoutMs).toBe(45_000);
    const audit = await server.inject({ url: '/api/audit', headers });
    expect(audit.body).toContain('shutdown.plan: phases.0.timeout_s 30 -> 45');
  });
});
