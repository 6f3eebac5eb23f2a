import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/store/database.js';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

// A real appliance on a simulated UPS and cluster: the outage's run completes, the UPS cuts its output, mains returns,
// the hosts boot and the restore begins; the appliance is killed with SIGKILL as restore steps reach the journal and
// started again on the same store, until the restore finishes. The simulated cluster keeps its state (and its count of
// power-ons received) in that store, so a start sent twice would show.
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.length = 0;
});

const VMS_STARTED = ['a1', 'a2', 'b1', 'b2', 'b3', 'b4', 'c1', 'c2'];

function config(dir: string): string {
  const file = join(dir, 'upsguard.json');
  // Mains back 10 s in: after the run and the load-off (3 s), a dark moment; the output is back 4 s later, the hosts boot.
  writeFileSync(join(dir, 'outage.seq'), '0 mains off\n0 load 20\n10 mains on\n');
  const vm = (name: string, tag: string, autostart = false) => ({
    name,
    tags: [tag],
    shutdown_s: 0.3,
    boot_s: 0.6,
    autostart,
  });
  writeFileSync(
    file,
    JSON.stringify({
      store: { path: join(dir, 'store.db') },
      web: { port: 0 },
      nut_server: { enabled: false },
      ups: [{ name: 'u1', source: { kind: 'sim', scenario: join(dir, 'outage.seq'), time_scale: 1 } }],
      policy: { on_battery_s: 1, flicker_s: 0 },
      schedule: { dry_run: '' },
      restore: {
        mains_steady_s: 1,
        first_tier: {},
        other_tiers: {},
        concurrency: 2,
        vm_start_timeout_s: 20,
        host_ready_timeout_s: 30,
      },
      shutdown: {
        poll_interval_ms: 100,
        hard_off_timeout_s: 2,
        rearm_after_s: 1,
        default_estimate_s: { vm: 1, host: 1 },
        sim_cluster: {
          time_scale: 1,
          call_latency_ms: 5,
          hosts: [
            {
              name: 'h1',
              halt_s: 0.3,
              boot_s: 0.5,
              vms: [
                vm('a1', 'core'),
                vm('a2', 'core'),
                vm('a3', 'core', true),
                vm('a4', 'core'),
                vm('c1', 'apps'),
                vm('c2', 'apps'),
              ],
            },
            {
              name: 'h2',
              halt_s: 0.3,
              boot_s: 0.5,
              vms: [vm('b1', 'apps'), vm('b2', 'apps'), vm('b3', 'apps'), vm('b4', 'apps')],
            },
          ],
        },
        plan: {
          name: 'crash',
          ups_host: 'h1',
          off_delay_s: 3,
          // Past it from the first phase: however slow a loaded machine runs the shutdown, mains coming back does not
          // stop it, and the restore is what brings the cluster back.
          point_of_no_return: 'apps',
          on_delay_s: 4,
          phases: [
            { name: 'apps', targets: [{ tags: ['apps'] }], timeout_s: 3, concurrency: 4 },
            { name: 'core', targets: [{ tags: ['core'] }], timeout_s: 3, concurrency: 4 },
            { name: 'hosts', targets: [{ names: ['h2', 'h1'] }], timeout_s: 3 },
          ],
        },
      },
    }),
  );
  return file;
}

function startAppliance(cfg: string, log: string): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'serve', '--config', cfg], {
    stdio: ['ignore', openSync(log, 'a'), openSync(log, 'a')],
    env: { ...process.env, UPSGUARD_LOG_LEVEL: 'warn' },
  });
  children.push(child);
  return child;
}

function read<T>(dbPath: string, fn: (d: Database.Database) => T, fallback: T): T {
  try {
    const d = new Database(dbPath, { readonly: true, fileMustExist: true });
    try {
      return fn(d);
    } finally {
      d.close();
    }
  } catch {
    return fallback;
  }
}

describe('the restore survives SIGKILL at step boundaries', () => {
  it('resumes after each kill and finishes with nothing started twice and what was off left off', async () => {
    const dir = tempDir();
    const cfg = config(dir);
    const dbPath = join(dir, 'store.db');
    const logFile = join(dir, 'appliance.log');
    // a4 was off before the outage: the restore must leave it off.
    const seed = openDatabase(dbPath);
    seed.prepare('INSERT INTO sim_cluster_state (name, state) VALUES (?, ?)').run(
      'a4',
      JSON.stringify({
        power: 'off',
        changeAt: null,
        fed: true,
        graceful: 0,
        hard: 0,
        powerOn: 0,
        powerLost: 0,
        uncleanCuts: 0,
      }),
    );
    seed.close();
    const restoreSteps = (): number =>
      read(
        dbPath,
        (d) =>
          (d.prepare("SELECT COUNT(*) AS n FROM shutdown_steps WHERE phase LIKE '(restore) %'").get() as { n: number })
            .n,
        0,
      );
    const logTail = (): string => readFileSync(logFile, 'utf8').slice(-3000);
    let seen = 0;
    let kills = 0;
    const killedAt: number[] = [];
    // Each start of the appliance costs seconds on a loaded machine: two kills, one among the hosts, one among the VMs.
    for (const more of [2, 5]) {
      const child = startAppliance(cfg, logFile);
      const target = seen + more;
      const reached = (): boolean => {
        if (child.exitCode !== null) throw new Error(`the appliance exited (${child.exitCode})`);
        return restoreSteps() >= target;
      };
      await until(`restore step ${target}`, reached, 60_000, 10).catch((e: unknown) => {
        throw new Error(`${String(e)}; appliance log:\n${logTail()}`);
      });
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      kills++;
      seen = restoreSteps();
      killedAt.push(seen);
      // From the first restart on, mains stays on: the simulated UPS starts its scenario again with each process.
      writeFileSync(join(dir, 'outage.seq'), '0 mains on\n0 load 20\n');
    }
    const last = startAppliance(cfg, logFile);
    const restore = await until(
      'the restore to finish',
      () =>
        read(
          dbPath,
          (d) => {
            const r = d.prepare('SELECT * FROM restores').all() as {
              run_id: number;
              status: string;
              summary: string;
            }[];
            return r.length > 0 && r.every((x) => x.status === 'restored' || x.status === 'incomplete') ? r : undefined;
          },
          undefined,
        ),
      60_000,
      20,
    ).catch((e: unknown) => {
      throw new Error(`${String(e)}; appliance log:\n${logTail()}`);
    });
    last.kill('SIGTERM');
    await new Promise((r) => last.once('exit', r));
    expect(kills).toBe(2);
    const d = new Database(dbPath, { readonly: true });
    const runs = d.prepare("SELECT id, status FROM shutdown_runs WHERE mode = 'real'").all() as {
      id: number;
      status: string;
    }[];
    const state = new Map(
      (d.prepare('SELECT name, state FROM sim_cluster_state').all() as { name: string; state: string }[]).map((r) => [
        r.name,
        JSON.parse(r.state) as { power: string; powerOn: number },
      ]),
    );
    const steps = d.prepare("SELECT * FROM shutdown_steps WHERE phase LIKE '(restore) %' ORDER BY id").all() as {
      phase: string;
      target: string;
      action: string;
      result: string | null;
    }[];
    d.close();
    const trail = steps.map((s) => `${s.phase} ${s.target} ${s.action} ${s.result ?? '-'}`).join('\n');
    // One outage, one run, one restore: no restart started a second run over the cluster coming back.
    expect(runs, trail).toEqual([{ id: runs[0]!.id, status: 'completed' }]);
    expect(restore, `${trail}\n${logTail()}`).toEqual([expect.objectContaining({ status: 'restored' })]);
    for (const n of VMS_STARTED) {
      const s = state.get(n)!;
      expect(s.power, `${n}\n${trail}`).toBe('on');
      expect(s.powerOn, `${n} power-ons received\n${trail}`).toBe(1);
    }
    // Started by the platform's autostart: counted done, never sent a start.
    expect(state.get('a3')).toMatchObject({ power: 'on', powerOn: 0 });
    expect(state.get('a4')).toMatchObject({ power: 'off', powerOn: 0 });
    // At most one start that went out per target, and every row closed.
    for (const n of VMS_STARTED) {
      const sent = steps.filter(
        (s) => s.target === n && s.action === 'power_on' && (s.result === 'ok' || s.result === 'took_effect'),
      );
      expect(sent.length, `${n}\n${trail}`).toBe(1);
    }
    expect(
      steps.every((s) => s.result !== null),
      trail,
    ).toBe(true);
    // Both kills landed while the restore was still going (a kill at a clean step boundary leaves nothing
    // interrupted, so that is not asked for): the restore was carried on by later processes each time.
    for (const k of killedAt) expect(k, trail).toBeLessThan(steps.length);
  }, 180_000);
});
