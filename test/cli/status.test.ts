import net from 'node:net';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { runStatus, serviceUrl } from '../../src/cli/status.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { statusReport, type ServiceReadout } from '../../src/cli/status-report.js';
import type { RestoreApiView } from '../../src/web/api-types/restore.js';
import type { PlanPageView } from '../../src/web/api-types/plan.js';
import type { StatusResponse } from '../../src/web/api-types/status.js';
import { startSimApp } from '../helpers/demo-app.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { testUsers, webLogin } from '../helpers/web-login.js';

const apps: App[] = [];
const servers: net.Server[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

/** A real appliance listening on a free loopback port, and a read-scope API token for it in a file. */
async function serving(
  extra: Partial<ConfigInput> = {},
): Promise<{ app: App; url: string; tokenFile: string; dir: string }> {
  const app = await startSimApp({ extra: { users: testUsers(), ...extra } });
  apps.push(app);
  const url = await app.listen('127.0.0.1', 0);
  const login = await webLogin(app.server());
  const res = await app.server().inject({
    method: 'POST',
    url: '/api/tokens',
    headers: login.headers,
    payload: { name: 'status', scope: 'read' },
  });
  expect(res.statusCode).toBe(201);
  const dir = tempDir();
  const tokenFile = join(dir, 'status.token');
  writeFileSync(tokenFile, `${res.json<{ token: string }>().token}\n`, { mode: 0o600 });
  return { app, url, tokenFile, dir };
}

async function status(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const dir = tempDir();
  const code = await runStatus(
    args,
    (s) => out.push(s),
    (s) => err.push(s),
    // Never this machine's /etc/upsguard: a test names everything it uses.
    { env, systemConfig: join(dir, 'none.yaml'), systemToken: join(dir, 'none.token') },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('upsguard status', () => {
  it('exits 0 with one screen when all is well: each UPS, the decision, the NUT server, version and uptime', async () => {
    const { app, url, tokenFile } = await serving();
    await until('the first reading', () => app.handles()[0]?.snapshot().status.includes('OL'));
    // A busy machine may make the first readings late (stale): the decision warns until they are fresh.
    await until('a normal decision', () => app.shutdown()?.decision()?.level === 'normal', 15_000);

    const r = await status(['--url', url, '--token-file', tokenFile]);

    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^upsguard \d+\.\d+\.\d+\S* at http:\/\/127\.0\.0\.1:\d+, up \d+/);
    expect(r.out).toMatch(/ {2}sim1: On mains \(OL[^)]*\), charge \d+%, runtime .+, comms ok/);
    expect(r.out).toMatch(/Decision: normal: /);
    expect(r.out).toMatch(/NUT server: listening on 127\.0\.0\.1:\d+, 0 client\(s\)/);
    expect(r.out).toMatch(/All is well\.$/);
  });

  it('exits 1 naming what needs attention: a UPS on battery', async () => {
    const { app, url, tokenFile } = await serving({ policy: { on_battery_s: 1, flicker_s: 0 } });
    await until('the first reading', () => app.handles()[0]?.snapshot().status.includes('OL'));
    app.simulated('sim1')?.setMains(false);
    await until('on battery', () => app.handles()[0]?.snapshot().status.includes('OB'), 15_000);

    const r = await status(['--url', url, '--token-file', tokenFile, '--json']);

    expect(r.code).toBe(1);
    const body = JSON.parse(r.out) as { reachable: boolean; attention: string[]; status: StatusResponse };
    expect(body.reachable).toBe(true);
    expect(body.attention).toContain('UPS sim1 is on battery');
    expect(body.status.ups[0]?.status).toContain('OB');
  });

  it('exits 1 when the NUT server is not listening (its port was taken)', async () => {
    const taken = net.createServer();
    servers.push(taken);
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as net.AddressInfo).port;
    const { url, tokenFile } = await serving({ nut_server: { port } });

    const r = await status(['--url', url, '--token-file', tokenFile]);

    expect(r.code).toBe(1);
    expect(r.out).toMatch(/NUT server: failed \(/);
    expect(r.out).toMatch(/- NUT server not listening: /);
  });

  it('exits 2 when the service cannot be reached, or refuses the token, or is given none; the token never shows', async () => {
    const { url, tokenFile } = await serving();
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));

    const down = await status(['--url', `http://127.0.0.1:${port}`, '--token-file', tokenFile]);
    expect(down.code).toBe(2);
    expect(down.err).toMatch(/^upsguard: cannot reach upsguard at http:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED/);

    const wrong = 'ugt_' + 'A'.repeat(43);
    const refused = await status(['--url', url], { UPSGUARD_TOKEN: wrong });
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/refused the API token \(401\)/);
    expect(refused.err).not.toContain(wrong);

    const none = await status(['--url', url]);
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/needs an API token: give --token-file FILE/);

    const json = await status(['--url', `http://127.0.0.1:${port}`, '--json'], { UPSGUARD_TOKEN: wrong });
    expect(json.code).toBe(2);
    expect(JSON.parse(json.out)).toMatchObject({ reachable: false });
  });

  it('finds the service from its config: loopback HTTP, an unspecified address reached on loopback, HTTPS elsewhere', () => {
    const dir = tempDir();
    const file = (web: unknown): string => {
      const f = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
      writeFileSync(f, JSON.stringify({ web }));
      return f;
    };
    expect(serviceUrl(null)).toBe('http://127.0.0.1:8080');
    expect(serviceUrl(file({ port: 9090 }))).toBe('http://127.0.0.1:9090');
    expect(serviceUrl(file({ host: '0.0.0.0', port: 8443 }))).toBe('https://127.0.0.1:8443');
    expect(serviceUrl(file({ host: '::', port: 8443 }))).toBe('https://[::1]:8443');
    expect(serviceUrl(file({ host: '192.0.2.7', port: 443 }))).toBe('https://192.0.2.7:443');
  });
});

describe('the status screen', () => {
  it('flags a failed dry run, a failing driver, a relay link down, a run in progress and a store not kept', async () => {
    const { app, url, tokenFile } = await serving();
    await until('the first reading', () => app.handles()[0]?.snapshot().status.includes('OL'));
    const r = await status(['--url', url, '--token-file', tokenFile, '--json']);
    const real = JSON.parse(r.out) as ServiceReadout;
    const ups = real.status.ups[0]!;
    const readout: ServiceReadout = {
      ...real,
      decision: { ...real.decision!, level: 'normal' },
      status: {
        ...real.status,
        ups: [
          {
            ...ups,
            relay: {
              url: 'relay://192.0.2.1:3496/ups',
              agentHost: 'pve1',
              link: 'reconnecting',
              device: 'attached',
              rttMs: null,
              lastSeq: 7,
              controller: false,
              claim: 'observer',
              claimProblem: null,
              problem: 'connection reset',
            },
          },
        ],
        store: { historyKept: false, path: '/var/lib/upsguard/upsguard.db', since: null, reason: 'disk full' },
      },
      plan: {
        ...(real.plan as PlanPageView),
        lastDryRun: {
          id: 4,
          at: '2026-12-02T00:00:00.000Z',
          status: 'completed',
          verdict: {
            verdict: 'would take 400 s of 300 s runtime',
            ok: false,
            totalS: 400,
            runtimeLeftS: 300,
            targets: 3,
            unreachable: [],
            failedDrivers: [],
          },
          targets: [],
        },
        drivers: [
          {
            driver: 'esx',
            ok: false,
            checkedAt: 'now',
            checks: [{ ok: false, message: 'login refused' }],
            targets: [],
          },
        ],
      },
      runs: { runs: [], active: [9] },
    };

    const report = statusReport(readout);

    expect(report.attention).toEqual([
      'relay link of sim1 is reconnecting',
      'the last dry run (#4) found problems',
      'driver esx check failing',
      '1 shutdown run(s) in progress',
      'the store is not keeping history',
    ]);
    expect(report.lines.join('\n')).toContain(
      '    relay relay://192.0.2.1:3496/ups (pve1): link reconnecting, device attached',
    );
    expect(report.lines.join('\n')).toContain('  driver esx: FAILING (checked now, 0 target(s)): login refused');
    // The real service has had no outage: no restore line. One that did not bring everything back needs attention.
    expect(real.restore?.state).toBe('none');
    expect(report.lines.join('\n')).not.toContain('Cluster after run');
    const restore = {
      state: 'incomplete',
      runId: 3,
      mainsBackAt: null,
      startedAt: null,
      finishedAt: null,
      durationS: null,
      summary: null,
      waitingFor: null,
      conditions: null,
      tiers: [],
      steps: [],
      asBefore: '1 not back: nas (no answer within 600 s)',
    } satisfies RestoreApiView;
    const after = statusReport({ ...readout, runs: { runs: [], active: [] }, restore });
    expect(after.lines).toContain('Cluster after run #3: 1 not back: nas (no answer within 600 s)');
    expect(after.attention).toContain('the restore is incomplete: 1 not back: nas (no answer within 600 s)');
    const asBefore = statusReport({
      ...readout,
      restore: { ...restore, state: 'restored', asBefore: 'as before the outage' },
    });
    expect(asBefore.lines).toContain('Cluster after run #3: as before the outage');
    expect(asBefore.attention.filter((a) => a.includes('restore'))).toEqual([]);
  });
});
