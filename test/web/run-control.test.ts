import http from 'node:http';
import type net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { UpsEvent } from '../../src/ups/events.js';
import type { AbortView, RestoreView, RunDetailView, RunView, StepView } from '../../src/web/api-types/runs.js';
import { startSimApp } from '../helpers/demo-app.js';
import { until } from '../helpers/until.js';
import { webLogin, type WebLogin } from '../helpers/web-login.js';
import { clusterInput } from '../shutdown/fixtures.js';
import { webOverSimApp, type SimAppWeb } from './sim-app-web.js';

// The run controls on a real appliance (simulated UPS and cluster) behind the real auth layer: test, abort, restore,
// and the live progress on /api/stream. The cluster runs at 10x, so a phase lasts long enough to abort in its middle.

let app: App;
let server: FastifyInstance;
let web: SimAppWeb;
const events: UpsEvent[] = [];
const as: Record<'admin' | 'operator' | 'viewer', WebLogin['headers']> = {} as never;

beforeAll(async () => {
  const shutdown = clusterInput() as Record<string, unknown> & { sim_cluster: { time_scale: number } };
  shutdown.sim_cluster.time_scale = 10;
  shutdown.poll_interval_ms = 100;
  shutdown.default_estimate_s = { vm: 20, host: 30 };
  app = await startSimApp({ extra: { shutdown: shutdown as never, schedule: { dry_run: '' } } });
  app.live.on('event', (e) => events.push(e));
  web = webOverSimApp(app, { actionRatePerMin: 1000 });
  server = web.server;
  for (const role of ['admin', 'operator', 'viewer'] as const) as[role] = (await webLogin(server, role)).headers;
}, 60_000);
afterAll(() => web.close());

const post = (url: string, who: WebLogin['headers'], payload?: Record<string, unknown>) =>
  server.inject({ method: 'POST', url, headers: who, ...(payload ? { payload } : {}) });
const runOf = async (id: number): Promise<RunDetailView> =>
  (await server.inject({ url: `/api/runs/${id}`, headers: as.viewer })).json<RunDetailView>();
const power = (name: string): string => app.shutdown()!.cluster!.get(name).power;
const finished = (id: number) =>
  until(
    `run ${id} to finish`,
    async () => ((await runOf(id)).run.status === 'running' ? undefined : runOf(id)),
    30_000,
  );

describe('run control: test, abort, restore', () => {
  it('unknown subset names are refused by name; a real test needs the plan name', async () => {
    const res = await post('/api/shutdown/test', as.operator, { mode: 'dry', subset: ['web1', 'nosuch', 'ghost'] });
    expect(res.statusCode).toBe(400);
    expect(res.json<{ message: string }>().message).toMatch(/does not hold: nosuch, ghost$/);
    const unconfirmed = await post('/api/shutdown/test', as.operator, { mode: 'real', subset: ['web1'] });
    expect(unconfirmed.statusCode).toBe(400);
    expect(unconfirmed.json<{ message: string }>().message).toContain('(lab)');
    const viewer = await post('/api/shutdown/test', as.viewer, { mode: 'dry' });
    expect(viewer.statusCode).toBe(403);
    // The whole plan for real is an outage's run (load-off, every host): an operator tests a subset only.
    const whole = await post('/api/shutdown/test', as.operator, { mode: 'real', confirm: 'lab' });
    expect(whole.statusCode).toBe(403);
    expect(whole.json<{ message: string }>().message).toMatch(/whole plan needs the admin role/);
    expect(app.shutdown()!.runner.activeRuns()).toEqual([]);
  });

  it('a test is dry by default: it answers 202 with the run, whose verdict the run view carries once done', async () => {
    const res = await post('/api/shutdown/test', as.operator, {});
    expect(res.statusCode, res.body).toBe(202);
    const { runId } = res.json<{ runId: number }>();
    const { run } = await finished(runId);
    expect(run).toMatchObject({ mode: 'dry', kind: 'dry', status: 'completed' });
    expect(run.verdict?.ok).toBe(true);
  });

  it('an operator aborts a subset test mid-phase; what had not started stays on; then restores what it shut down', async () => {
    const subset = ['web1', 'web2', 'web3', 'db1'];
    const started = await post('/api/shutdown/test', as.operator, { mode: 'real', confirm: 'lab', subset });
    expect(started.statusCode).toBe(202);
    const { runId } = started.json<{ runId: number }>();
    await until('web1 to be stopping', () => (power('web1') === 'stopping' ? true : undefined), 10_000, 5);

    expect((await post(`/api/runs/${runId}/abort`, as.viewer)).statusCode).toBe(403);
    const aborted = await post(`/api/runs/${runId}/abort`, as.operator);
    expect(aborted.statusCode).toBe(202);
    expect(aborted.json<AbortView>()).toMatchObject({ runId, status: 'aborting', latchKept: false });

    const { run, steps } = await finished(runId);
    expect(run).toMatchObject({ status: 'aborted', kind: 'test', abortedBy: 'operator', passedPointOfNoReturn: false });
    for (const n of ['web3', 'db1']) expect(power(n)).toBe('on');
    expect(steps.some((s) => s.target === 'web3' && s.action === 'graceful')).toBe(false);
    expect(steps.some((s) => s.action === 'load_off')).toBe(false);
    expect(events.filter((e) => e.type === 'SHUTDOWN_ABORTED').map((e) => e.message)).toEqual([
      expect.stringContaining('aborted by operator') as unknown,
    ]);
    const again = await post(`/api/runs/${runId}/abort`, as.operator);
    expect(again.statusCode).toBe(409);
    expect(again.json<{ message: string }>().message).toMatch(/already finished \(aborted\)/);
    expect((await post('/api/runs/9999/abort', as.operator)).statusCode).toBe(404);

    await until('web1 and web2 to be off', () => (power('web1') === 'off' && power('web2') === 'off') || undefined);
    const restored = await post(`/api/runs/${runId}/restore`, as.operator);
    expect(restored.statusCode, restored.body).toBe(200);
    const body = restored.json<RestoreView>();
    expect(body.failed).toEqual([]);
    expect([...body.restored].sort()).toEqual(['web1', 'web2']);
    await until('web1 and web2 to be on again', () => (power('web1') === 'on' && power('web2') === 'on') || undefined);
    expect(app.shutdown()!.cluster!.get('web3').powerOn).toBe(0);
  }, 60_000);

  it('a real run of the whole plan: an operator may not abort it, an admin may; the outage latch stays set', async () => {
    const service = app.shutdown()!;
    service.runner.journal.setLatch(Date.now(), 'test outage');
    const { runId, done } = await service.startRun('real', 'outage (test)');
    await until('web1 to be stopping', () => (power('web1') === 'stopping' ? true : undefined), 10_000, 5);
    const refused = await post(`/api/runs/${runId}/abort`, as.operator);
    expect(refused.statusCode).toBe(403);
    expect(refused.json<{ message: string }>().message).toMatch(/only an admin may abort it \(you are operator\)/);
    const ok = await post(`/api/runs/${runId}/abort`, as.admin);
    expect(ok.statusCode).toBe(202);
    const view = ok.json<AbortView>();
    expect(view.latchKept).toBe(true);
    expect(view.message).toMatch(/outage latch stays set/);
    const row = await done;
    expect(row.status).toBe('aborted');
    expect(service.runner.journal.latch()).not.toBeNull();
    expect(service.runner.journal.steps(runId).some((s) => s.action === 'load_off')).toBe(false);
    expect(power('h1')).toBe('on');
    const restore = await post(`/api/runs/${runId}/restore`, as.operator);
    expect(restore.statusCode).toBe(409);
    expect(restore.json<{ message: string }>().message).toMatch(/whole plan/);
    service.runner.journal.clearLatch();
    // Put the cluster back as it was for the next test.
    await until('the shed VMs to be off', () => (power('web1') === 'off' && power('web2') === 'off') || undefined);
    for (const n of ['web1', 'web2', 'web3']) if (power(n) === 'off') app.shutdown()!.cluster!.powerOn(n);
    await until('the web tier to be on', () => ['web1', 'web2', 'web3'].every((n) => power(n) === 'on') || undefined);
  }, 60_000);

  it('an abort past the point of no return is refused (409) and the run goes on', async () => {
    const service = app.shutdown()!;
    const { runId, done } = await service.startRun('real', 'test', ['web1', 'h2']);
    await until('the point of no return', () => service.runner.journal.run(runId)?.passedPonr || undefined, 20_000, 5);
    const res = await post(`/api/runs/${runId}/abort`, as.admin);
    expect(res.statusCode).toBe(409);
    expect(res.json<{ message: string }>().message).toMatch(/point of no return/);
    expect((await done).status).toBe('completed');
    expect((await post(`/api/runs/${runId}/restore`, as.operator)).statusCode).toBe(200);
    await until('h2 and web1 back on', () => (power('h2') === 'on' && power('web1') === 'on') || undefined, 20_000);
  }, 60_000);
});

/** A live stream reader with a session, over HTTP on 127.0.0.1. */
async function stream(port: number, who: WebLogin['headers']) {
  let text = '';
  const req = http.get({ host: '127.0.0.1', port, path: '/api/stream', headers: { ...who }, agent: false });
  req.on('error', () => undefined);
  const res = await new Promise<http.IncomingMessage>((resolve) => req.on('response', resolve));
  res.setEncoding('utf8');
  res.on('data', (c: string) => (text += c));
  return {
    status: res.statusCode,
    messages: (): { event: string; data: unknown }[] =>
      text
        .split('\n\n')
        .map((block) => {
          const event = /^event: (.+)$/m.exec(block)?.[1];
          const data = /^data: (.+)$/m.exec(block)?.[1];
          return event && data ? { event, data: JSON.parse(data) as unknown } : null;
        })
        .filter((m) => m !== null),
    close: () => req.destroy(),
  };
}

describe('live progress on /api/stream', () => {
  it('a dry run sends run (started), its steps as they start and end, and run (ended, with the verdict), in order', async () => {
    await server.listen({ host: '127.0.0.1', port: 0 });
    const port = (server.server.address() as net.AddressInfo).port;
    const reader = await stream(port, as.viewer);
    expect(reader.status).toBe(200);
    try {
      const dry = await post('/api/plan/dry-run', as.operator);
      expect(dry.statusCode).toBe(200);
      const runId = dry.json<{ run: { id: number } }>().run.id;
      const mine = (): { event: string; data: unknown }[] =>
        reader
          .messages()
          .filter(
            (m) =>
              (m.event === 'run' && (m.data as RunView).id === runId) ||
              (m.event === 'step' && (m.data as StepView).runId === runId),
          );
      const all = await until(
        'the run to end on the stream',
        () => {
          const m = mine();
          const last = m.at(-1);
          return last?.event === 'run' && (last.data as RunView).status !== 'running' ? m : undefined;
        },
        10_000,
      );
      expect(all[0]).toMatchObject({ event: 'run', data: { id: runId, status: 'running', phase: null } });
      const ended = all.at(-1)!.data as RunView;
      expect(ended).toMatchObject({ status: 'completed', kind: 'dry' });
      // Seven: the appliance's VM is not recognised here (no MAC of this machine), so it is an ordinary target.
      expect(ended.verdict?.verdict).toMatch(/^would take .+ of \d+ min runtime; all 7 targets reachable$/);
      const steps = all.filter((m) => m.event === 'step').map((m) => m.data as StepView);
      // Each step is sent as it starts (no finish yet) and again as it ends, the start first.
      const journal = app.shutdown()!.runner.journal.steps(runId);
      for (const s of journal) {
        const sent = steps.filter((x) => x.id === s.id);
        if (s.action === 'wait') {
          expect(sent.map((x) => x.outcome)).toEqual([s.outcome]);
          continue;
        }
        expect(sent.map((x) => x.finishedAt === null)).toEqual([true, false]);
        expect(sent[1]).toMatchObject({ result: s.result, phase: s.phase, target: s.target });
      }
      // The run's phase changes are sent between the steps, in plan order.
      const phases = all
        .filter((m) => m.event === 'run')
        .map((m) => (m.data as RunView).phase)
        .filter((p) => p !== null);
      expect(phases).toEqual(['(checks)', 'shed', 'core', 'hosts', '(final)', '(final)']);
    } finally {
      reader.close();
    }
  }, 30_000);
});
