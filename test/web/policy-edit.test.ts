import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DecisionResponse } from '../../src/web/api-types/decision.js';
import type {
  ConfigProblemsResponse,
  PolicyPreviewResponse,
  PolicyResponse,
  SectionSaveResponse,
} from '../../src/web/api-types/policy.js';
import { until } from '../helpers/until.js';
import { webLogin } from '../helpers/web-login.js';
import { startFromFile } from './policy-edit-rig.js';

const CONFIG = `# upsguard: the rack's one UPS
# every section below is commented, and stays so

store:
  path: ":memory:" # nothing kept between tests
nut_server:
  port: 0 # any free port

ups:
  # the only UPS
  - name: sim1 # simulated
    source:
      kind: sim
      scenario: steady # on mains until told

policy:
  # shut down when the charge gets low
  charge_pct: 30 # percent
  flicker_s: 0 # no flicker window in tests
  on_battery_s: 3600 # an hour

# no plan: a tripped policy starts nothing here
schedule:
  dry_run: "" # off
`;

describe('policy: view, preview, save', () => {
  it('GET /api/policy lists every rule with its setting and the value now, and the section as written', async () => {
    const { server, file, app } = await startFromFile(CONFIG);
    const { headers } = await webLogin(server, 'viewer');
    const body = await until('the first reading in the policy view', async () => {
      const res = await server.inject({ url: '/api/policy', headers });
      expect(res.statusCode).toBe(200);
      const b = res.json<PolicyResponse>();
      return b.rules.find((r) => r.id === 'charge')?.perUps[0]?.value != null && b;
    });
    expect(body).toMatchObject({ editable: true, file, demo: false, editableSections: ['policy', 'shutdown.plan'] });
    expect(body.policy).toEqual({ charge_pct: 30, flicker_s: 0, on_battery_s: 3600 });
    expect(body.rules.map((r) => r.id)).toEqual([
      'fsd',
      'ob_lb',
      'dead_time',
      'flicker',
      'charge',
      'runtime',
      'on_battery',
      'runtime_vs_plan',
      'min_supplies',
    ]);
    const charge = body.rules.find((r) => r.id === 'charge')!;
    expect(charge).toMatchObject({ enabled: true, settingText: 'at or below 30 %', tripped: false });
    expect(charge.perUps[0]).toMatchObject({ ups: 'sim1', tripped: false });
    expect(charge.perUps[0]!.value).toBeTypeOf('number');
    expect(body.rules.find((r) => r.id === 'runtime')).toMatchObject({ enabled: false, settingText: 'off' });
    expect(body.decision.sentence).toBe('On mains. Nothing will shut down.');
    // The app's own server has the same routes (app.ts wires the editor into the web deps).
    const own = app.server();
    await own.ready();
    for (const [method, url] of [
      ['GET', '/api/policy'],
      ['POST', '/api/policy/preview'],
      ['PUT', '/api/policy'],
      ['GET', '/api/plan/config'],
      ['POST', '/api/plan/preview'],
      ['PUT', '/api/plan/config'],
      ['GET', '/api/decision'],
    ] as const) {
      expect(own.hasRoute({ method, url }), `${method} ${url}`).toBe(true);
    }
  });

  it('PUT keeps every comment and the layout: only the changed value differs; the audit row says what changed', async () => {
    const { server, file, app } = await startFromFile(CONFIG);
    const { headers } = await webLogin(server, 'admin');
    const res = await server.inject({
      method: 'PUT',
      url: '/api/policy',
      headers,
      payload: { policy: { charge_pct: 40, flicker_s: 0, on_battery_s: 3600 } },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json<SectionSaveResponse>()).toMatchObject({
      saved: true,
      applied: true,
      file,
      differences: [{ path: 'policy.charge_pct', from: 30, to: 40 }],
    });
    expect(readFileSync(file, 'utf8')).toBe(CONFIG.replace('charge_pct: 30 # percent', 'charge_pct: 40 # percent'));
    expect(app.shutdown()!.config().policy.charge_pct).toBe(40);
    const audit = await server.inject({ url: '/api/audit', headers });
    expect(audit.body).toContain('policy: charge_pct 30 -> 40');
  });

  it('an invalid value gets its field message, the file stays byte for byte, and nothing is applied', async () => {
    const { server, file, app } = await startFromFile(CONFIG);
    const { headers } = await webLogin(server, 'admin');
    const payload = { policy: { charge_pct: 150, flicker_s: -1, on_battery_s: 3600 } };
    const res = await server.inject({ method: 'PUT', url: '/api/policy', headers, payload });
    expect(res.statusCode).toBe(400);
    const paths = res.json<ConfigProblemsResponse>().problems.map((p) => p.path);
    expect(paths.sort()).toEqual(['policy.charge_pct', 'policy.flicker_s']);
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
    expect(app.shutdown()!.config().policy.charge_pct).toBe(30);
    const preview = await server.inject({ method: 'POST', url: '/api/policy/preview', headers, payload });
    expect(preview.json<PolicyPreviewResponse>()).toMatchObject({ valid: false, decision: null });
    expect(preview.json<PolicyPreviewResponse>().problems.map((p) => p.path)).toContain('policy.charge_pct');
    // An unknown key is named too (the schema is strict).
    const typo = await server.inject({
      method: 'PUT',
      url: '/api/policy',
      headers,
      payload: { policy: { charge_pc: 20 } },
    });
    expect(typo.statusCode).toBe(400);
    expect(typo.body).toContain('charge_pc');
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
  });

  it('during an outage the preview shows a trip, and the saved policy trips the decision without a restart', async () => {
    const { server, file, app } = await startFromFile(CONFIG);
    const { headers } = await webLogin(server, 'admin');
    const pushed: DecisionResponse[] = [];
    app.live.on('decision', (d) => pushed.push(d));
    app.simulated('sim1')!.setMains(false);
    const onBattery = await until('the decision on battery', async () => {
      const d = (await server.inject({ url: '/api/decision', headers })).json<DecisionResponse>();
      return d.onBatteryS !== null && d;
    });
    expect(onBattery.level).toBe('warning');
    expect(onBattery.rule).toBe('on_battery_time');
    const stricter = { charge_pct: 30, flicker_s: 0, on_battery_s: 3600, runtime_s: 1_000_000 };
    const preview = await server.inject({
      method: 'POST',
      url: '/api/policy/preview',
      headers,
      payload: { policy: stricter },
    });
    const p = preview.json<PolicyPreviewResponse>();
    expect(p).toMatchObject({
      valid: true,
      wouldTrip: true,
      differences: [{ path: 'policy.runtime_s', to: 1_000_000 }],
    });
    expect(p.decision!.level).toBe('critical');
    expect(p.reasons.join(' ')).toMatch(/runtime .* at or below 1000000 s/);
    // The preview changed nothing.
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
    expect(app.shutdown()!.decision()!.level).toBe('warning');

    const put = await server.inject({ method: 'PUT', url: '/api/policy', headers, payload: { policy: stricter } });
    expect(put.statusCode, put.body).toBe(200);
    expect(app.shutdown()!.decision()!.level).toBe('critical');
    const after = (await server.inject({ url: '/api/decision', headers })).json<DecisionResponse>();
    expect(after.level).toBe('critical');
    expect(after.sentence).toContain('no shutdown plan');
    // The live stream was told each change once: on battery (warning), then critical after the save.
    expect(pushed.map((d) => d.level)).toEqual(expect.arrayContaining(['warning', 'critical']));
    expect(pushed.at(-1)).toMatchObject({ level: 'critical', rule: 'runtime' });
    const levels = pushed.map((d) => `${d.level}/${d.rule}`);
    expect(levels.filter((l, i) => l === levels[i - 1])).toEqual([]);
  });

  it('a file changed on disk since start is never overwritten: 409', async () => {
    const { server, file } = await startFromFile(CONFIG);
    const { headers } = await webLogin(server, 'admin');
    const edited = CONFIG.replace('on_battery_s: 3600 # an hour', 'on_battery_s: 1800 # half an hour');
    writeFileSync(file, edited);
    const res = await server.inject({
      method: 'PUT',
      url: '/api/policy',
      headers,
      payload: { policy: { charge_pct: 40 } },
    });
    expect(res.statusCode).toBe(409);
    expect(res.json<ConfigProblemsResponse>().error).toBe('CONFIG_CHANGED');
    expect(readFileSync(file, 'utf8')).toBe(edited);
  });

  it('viewers and operators may read but not preview or save', async () => {
    const { server, file } = await startFromFile(CONFIG);
    for (const role of ['viewer', 'operator'] as const) {
      const { headers } = await webLogin(server, role);
      const payload = { policy: { charge_pct: 40 } };
      expect((await server.inject({ method: 'PUT', url: '/api/policy', headers, payload })).statusCode).toBe(403);
      expect((await server.inject({ method: 'POST', url: '/api/policy/preview', headers, payload })).statusCode).toBe(
        403,
      );
    }
    expect(readFileSync(file, 'utf8')).toBe(CONFIG);
  });

  it('the live stream carries a decision message when the decision changes', async () => {
    const { server, app } = await startFromFile(CONFIG);
    const { headers } = await webLogin(server, 'viewer');
    await server.listen({ host: '127.0.0.1', port: 0 });
    const port = (server.server.address() as AddressInfo).port;
    let received = '';
    const req = http.get({ host: '127.0.0.1', port, path: '/api/stream', headers, agent: false });
    const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
    expect(res.statusCode).toBe(200);
    res.setEncoding('utf8');
    res.on('data', (c: string) => (received += c));
    await until('the stream opened', () => received.includes('event: snapshot'));
    app.simulated('sim1')!.setMains(false);
    // The feed's first message may be the decision on mains; the outage's follows.
    const decisions = (): DecisionResponse[] =>
      [...received.matchAll(/event: decision\ndata: (.*)\n/g)].map((m) => JSON.parse(m[1]!) as DecisionResponse);
    const d = await until('a decision message on battery', () => decisions().find((x) => x.onBatteryS !== null));
    expect(d).toMatchObject({ level: 'warning', rule: 'on_battery_time' });
    expect(d.sentence).toMatch(/^On battery \d+ s\. Plan|^On battery \d+ s\. No shutdown plan/);
    req.destroy();
  });
});
