import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { App } from '../../src/app.js';
import { clusterInput } from '../shutdown/fixtures.js';
import { startSimApp } from '../helpers/demo-app.js';
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

const post = (payload: Record<string, unknown>) =>
  app.server().inject({ method: 'POST', url: '/api/shutdown/test', payload, headers });

describe('test shutdown: the subset names what runs', () => {
  it('a subset naming no phase or target of the plan is refused, naming the unknown names', async () => {
    for (const mode of ['dry', 'real']) {
      const res = await post({ mode, confirm: 'lab', subset: ['web1', 'nosuch', 'ghost'] });
      expect(res.statusCode).toBe(400);
      expect(res.json<{ message: string }>().message).toMatch(/nosuch.*ghost/);
    }
    expect(app.shutdown()!.runner.journal.runs(10)).toHaveLength(0);
  });

  it('an empty subset is refused: it never means the whole plan', async () => {
    for (const mode of ['dry', 'real']) {
      const res = await post({ mode, confirm: 'lab', subset: [] });
      expect(res.statusCode).toBe(400);
      expect(res.json<{ message: string }>().message).toContain('subset');
    }
    expect(app.shutdown()!.runner.journal.runs(10)).toHaveLength(0);
    const cluster = app.shutdown()!.cluster!;
    for (const n of cluster.nodes) expect(cluster.get(n.name).power).toBe('on');
  });

  it('the service refuses an empty subset too', async () => {
    await expect(app.shutdown()!.startRun('dry', 'test', [])).rejects.toThrow(/subset/);
  });
});
