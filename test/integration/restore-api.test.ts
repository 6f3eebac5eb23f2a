import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import type { RestoreApiView } from '../../src/web/api-types/restore.js';
import { clusterInput } from '../shutdown/fixtures.js';
import { startSimApp } from '../helpers/demo-app.js';
import { testUsers, webLogin } from '../helpers/web-login.js';

let app: App;
beforeAll(async () => {
  const shutdown = clusterInput() as Record<string, unknown> & { sim_cluster: { time_scale: number } };
  shutdown.sim_cluster.time_scale = 1000;
  shutdown.default_estimate_s = { vm: 20, host: 30 };
  app = await startSimApp({ extra: { shutdown: shutdown as never, schedule: { dry_run: '' }, users: testUsers() } });
});
afterAll(async () => {
  await app.stop();
});

describe('GET /api/restore', () => {
  it('needs a viewer; before any outage there is nothing to restore', async () => {
    expect((await app.server().inject({ url: '/api/restore' })).statusCode).toBe(401);
    const { headers } = await webLogin(app.server(), 'viewer');
    const res = await app.server().inject({ url: '/api/restore', headers });
    expect(res.statusCode).toBe(200);
    const body = res.json<RestoreApiView>();
    expect(body).toMatchObject({
      state: 'none',
      runId: null,
      conditions: null,
      tiers: [],
      steps: [],
      asBefore: 'no outage to restore from',
    });
    expect(app.shutdown()?.restoreSummary()).toBe('no outage to restore from');
  });

  it('a real test of a subset records what it covers before it acts, and is never restored as an outage', async () => {
    const svc = app.shutdown()!;
    const { runId, done } = await svc.startRun('real', 'test', ['web1']);
    await done;
    const before = svc.runner.journal.before(runId);
    expect(before).toEqual([expect.objectContaining({ target: 'web1', power: 'on', phase: 'shed' })]);
    const { headers } = await webLogin(app.server(), 'viewer');
    expect((await app.server().inject({ url: '/api/restore', headers })).json<RestoreApiView>().state).toBe('none');
  });
});
