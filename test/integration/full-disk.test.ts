import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import { validateConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/log.js';
import { describeWithPeers } from '../helpers/peers.js';
import { smallClusterShutdown } from '../helpers/small-cluster.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';
import { testUsers, webLogin } from '../helpers/web-login.js';

const isRoot = process.getuid?.() === 0;
const mounts: string[] = [];
const apps: App[] = [];
afterEach(async () => {
  for (const a of apps.splice(0)) await a.stop();
  for (const m of mounts.splice(0)) execFileSync('umount', ['-l', m]);
});

interface StepRow {
  action: string;
  target: string;
  result: string | null;
}

describeWithPeers({ 'root (to mount a small tmpfs)': isRoot })(
  'the store fills its filesystem during an outage',
  () => {
    it('keeps deciding and runs the plan to the load-off; history comes back to disk when space is freed', async () => {
      const dir = tempDir();
      const mnt = join(dir, 'small');
      mkdirSync(mnt);
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mnt]);
      mounts.push(mnt);
      writeFileSync(join(dir, 'outage.seq'), '0 mains on\n0 load 20\n2 mains off\n');
      const loaded = validateConfig(
        {
          store: { path: join(mnt, 'store.db') },
          web: { port: 0 },
          users: testUsers(),
          nut_server: { port: 0 },
          ups: [{ name: 'u1', source: { kind: 'sim', scenario: join(dir, 'outage.seq'), time_scale: 1 } }],
          monitor: { quick_interval_s: 0.2 },
          policy: { on_battery_s: 2, flicker_s: 0 },
          schedule: { dry_run: '' },
          shutdown: smallClusterShutdown({
            plan: 'full-disk',
            pollMs: 50,
            vms: [
              { name: 'a', shutdown_s: 0.5 },
              { name: 'b', shutdown_s: 0.5 },
            ],
          }),
        },
        'full-disk test',
        dir,
        {},
      );
      const app = new App({ loaded, log: createLogger({ level: 'silent' }), storeRetryMs: 500 });
      apps.push(app);
      await app.start();
      // The disk fills up as soon as the outage starts.
      await until('ONBATT', () => app.monitors()[0]?.snapshot().status.includes('OB'), 10_000);
      try {
        execFileSync('dd', ['if=/dev/zero', `of=${join(mnt, 'filler')}`, 'bs=64k'], { stdio: 'ignore' });
      } catch {
        // "No space left on device" is the point
      }
      await until('the store to fall back to memory', () => app.storeHealth()?.state === 'memory', 20_000);
      const { headers } = await webLogin(app.server(), 'viewer');
      const status = (await app.server().inject({ url: '/api/status', headers })).json<{
        store: { historyKept: boolean };
      }>();
      expect(status.store.historyKept).toBe(false);

      const steps = (): StepRow[] => app.shutdown()!.runner.journal.steps(1);
      await until(
        'the load-off and the final host halt',
        () => {
          const s = steps();
          return (
            s.some((x) => x.action === 'load_off' && x.result === 'ok') &&
            app.shutdown()!.runner.activeRuns().length === 0
          );
        },
        30_000,
      );
      const events = (await app.server().inject({ url: '/api/events?since=0&limit=500', headers })).json<{
        events: { type: string }[];
      }>();
      expect(events.events.map((e) => e.type)).toEqual(
        expect.arrayContaining(['ONBATT', 'STORE_FAILED', 'POLICY_CRITICAL', 'LOAD_OFF']),
      );

      // Space comes back: the store goes back to its file with the run in it.
      execFileSync('rm', [join(mnt, 'filler')]);
      await until('the store to take writes again', () => app.storeHealth()?.state === 'ok', 10_000);
      await app.stop();
      const db = new Database(join(mnt, 'store.db'), { readonly: true });
      const runs = db.prepare("SELECT status FROM shutdown_runs WHERE mode = 'real'").all() as { status: string }[];
      const loadOffs = db.prepare("SELECT result FROM shutdown_steps WHERE action = 'load_off'").all();
      db.close();
      expect(runs).toHaveLength(1);
      expect(loadOffs).toEqual([{ result: 'ok' }]);
    }, 90_000);
  },
);
