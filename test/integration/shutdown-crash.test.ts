import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmp.js';
import { until } from '../helpers/until.js';

// A real appliance process on a simulated UPS and cluster, killed with SIGKILL as new steps reach the journal,
// restarted on the same store, until its shutdown run completes. The simulated cluster keeps its state (and its
// count of power actions received) in that store, so a repeated action would show.
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.length = 0;
});

function config(dir: string): string {
  const file = join(dir, 'upsguard.json');
  writeFileSync(join(dir, 'outage.seq'), '0 mains off\n0 load 20\n');
  writeFileSync(
    file,
    JSON.stringify({
      store: { path: join(dir, 'store.db') },
      web: { port: 0 },
      nut_server: { enabled: false },
      ups: [{ name: 'u1', source: { kind: 'sim', scenario: join(dir, 'outage.seq'), time_scale: 1 } }],
      policy: { on_battery_s: 1, flicker_s: 0 },
      schedule: { dry_run: '' },
      shutdown: {
        poll_interval_ms: 100,
        hard_off_timeout_s: 2,
        default_estimate_s: { vm: 2, host: 2 },
        sim_cluster: {
          time_scale: 1,
          call_latency_ms: 5,
          hosts: [
            {
              name: 'h1',
              halt_s: 1,
              vms: [
                { name: 'a1', tags: ['t'], shutdown_s: 1.5 },
                { name: 'a2', tags: ['t'], shutdown_s: 1, ignores_graceful: true },
              ],
            },
            {
              name: 'h2',
              halt_s: 1,
              vms: [
                { name: 'b1', tags: ['t'], shutdown_s: 1 },
                { name: 'b2', tags: ['t'], shutdown_s: 2 },
                { name: 'b3', tags: ['u'], shutdown_s: 1 },
              ],
            },
          ],
        },
        plan: {
          name: 'crash',
          ups_host: 'h1',
          off_delay_s: 10,
          on_delay_s: 20,
          point_of_no_return: 'shed',
          phases: [
            // Longer than a restart takes: a hard-off here must come only from the guest that ignores ACPI, not from the kill.
            { name: 'shed', targets: [{ tags: ['t'] }], timeout_s: 6, concurrency: 2 },
            { name: 'rest', targets: [{ tags: ['u'] }], timeout_s: 3 },
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

describe('a real run survives SIGKILL at step boundaries', () => {
  it('resumes after each kill and completes with no power action repeated', async () => {
    const dir = tempDir();
    const cfg = config(dir);
    const dbPath = join(dir, 'store.db');
    const steps = (): number => {
      try {
        const db = new Database(dbPath, { readonly: true, fileMustExist: true });
        try {
          return (db.prepare('SELECT COUNT(*) AS n FROM shutdown_steps').get() as { n: number }).n;
        } finally {
          db.close();
        }
      } catch {
        return 0;
      }
    };
    let kills = 0;
    let seen = 0;
    // Kill as soon as one, then three, then six more steps have been journaled since the last restart.
    for (const more of [1, 3, 6, 4]) {
      const child = startAppliance(cfg, join(dir, 'appliance.log'));
      const target = seen + more;
      // Polled often: the kill is meant to land as soon as the step is journaled.
      await until(`step ${target}`, () => steps() >= target, 30_000, 15).catch((e: unknown) => {
        throw new Error(
          `${String(e)}; appliance log:\n${readFileSync(join(dir, 'appliance.log'), 'utf8').slice(-3000)}`,
        );
      });
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
      kills++;
      seen = steps();
    }
    const last = startAppliance(cfg, join(dir, 'appliance.log'));
    const db = () => new Database(dbPath, { readonly: true });
    const run = await until(
      'the run to finish',
      () => {
        const d = db();
        try {
          const r = d.prepare("SELECT * FROM shutdown_runs WHERE mode = 'real' ORDER BY id").all() as {
            id: number;
            status: string;
            summary: string | null;
          }[];
          return r.length > 0 && r.every((x) => x.status !== 'running') ? r : undefined;
        } finally {
          d.close();
        }
      },
      30_000,
      15,
    );
    last.kill('SIGTERM');
    expect(kills).toBe(4);
    // One run, resumed each time, never a second one started beside it.
    expect(run).toHaveLength(1);
    expect(
      run[0]!.status,
      `${run[0]!.summary ?? ''}\n${readFileSync(join(dir, 'appliance.log'), 'utf8').slice(-2000)}`,
    ).toBe('completed');
    const d = db();
    const state = new Map(
      (d.prepare('SELECT name, state FROM sim_cluster_state').all() as { name: string; state: string }[]).map((r) => [
        r.name,
        JSON.parse(r.state) as { power: string; graceful: number; hard: number },
      ]),
    );
    const journal = d.prepare('SELECT * FROM shutdown_steps ORDER BY id').all() as {
      phase: string;
      target: string;
      action: string;
      result: string | null;
    }[];
    d.close();
    const trail = journal.map((s) => `${s.phase} ${s.target} ${s.action} ${s.result ?? '-'}`).join('\n');
    for (const n of ['a1', 'a2', 'b1', 'b2', 'b3', 'h1', 'h2']) {
      const s = state.get(n)!;
      expect(s.power, `${n}\n${JSON.stringify(s)}\n${trail}`).toBe('off');
      expect(s.graceful, `${n} graceful requests\n${JSON.stringify(s)}\n${trail}`).toBe(1);
      expect(s.hard, `${n} hard power-offs\n${JSON.stringify(s)}\n${trail}`).toBe(n === 'a2' ? 1 : 0);
    }
    expect(
      journal.every((s) => s.result !== null),
      trail,
    ).toBe(true);
    expect(journal.filter((s) => s.action === 'load_off' && s.result === 'ok')).toHaveLength(1);
    expect(journal.some((s) => s.result === 'took_effect' || s.result === 'interrupted')).toBe(true);
  }, 120_000);
});
