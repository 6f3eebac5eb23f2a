import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/errors.js';
import { SimDriver } from '../../src/shutdown/drivers/sim.js';
import { Estimates, makespanMs } from '../../src/shutdown/estimates.js';
import { PlanError, estimatePlan, resolvePlan } from '../../src/shutdown/plan.js';
import { SimCluster } from '../../src/shutdown/sim-cluster.js';
import { ManualClock } from '../../src/util/clock.js';
import { clusterInput, shutdownConfig } from './fixtures.js';

const ident = { macs: ['02:00:00:00:00:01'], hostname: 'nothing' };
const defaults = new Estimates(new Map(), { vm: 60_000, host: 30_000 });

async function resolveWith(mutate: (input: ReturnType<typeof base>) => void): Promise<unknown> {
  const input = base();
  mutate(input);
  const cfg = shutdownConfig(input);
  const targets = await new SimDriver(
    'sim',
    new SimCluster(cfg.sim_cluster!, new ManualClock()),
    new ManualClock(),
    0,
  ).discover();
  try {
    return resolvePlan(cfg, targets, ident, defaults, 'ups1');
  } catch (e) {
    return e;
  }
}
function base(): {
  plan: { phases: { name: string; targets: Record<string, unknown>[] }[]; off_delay_s: number; self_vm?: string };
} {
  return clusterInput() as ReturnType<typeof base>;
}

describe('plan', () => {
  it('resolves the example: the UPS host last, the appliance VM left to its host, an estimate on the critical path', async () => {
    const plan = (await resolveWith(() => undefined)) as Awaited<ReturnType<typeof resolvePlan>>;
    expect(plan.phases.map((p) => [p.name, p.targets.map((t) => t.name)])).toEqual([
      ['shed', ['web1', 'web2', 'web3']],
      ['core', ['db1']],
      ['hosts', ['h2']],
    ]);
    expect(plan.finalHosts.map((h) => h.name)).toEqual(['h1']);
    expect(plan.self).toEqual({ vm: 'appliance', host: 'h1', upsHost: 'h1' });
    expect(plan.notes.join()).toContain('appliance');
    const est = estimatePlan(plan, defaults, 10_000);
    // shed: 3 × 60 s on 2 slots = 120 s; core 60; hosts 30; final: the 60 s off delay.
    expect(est.phases.map((p) => p.seconds)).toEqual([120, 60, 30, 60]);
    expect(est.totalS).toBe(270);
  });

  it('refuses a host before its VMs, a controller not last, and an off delay shorter than the halt, naming each', async () => {
    const err = await resolveWith((i) => {
      i.plan.phases[0]!.targets.push({ names: ['h2'] });
      i.plan.phases[1]!.targets.push({ names: ['appliance'] });
      i.plan.off_delay_s = 20;
      (i.plan as Record<string, unknown>).on_delay_s = 30;
      i.plan.phases[1]!.targets.push({ names: ['nope'] });
    });
    expect(err).toBeInstanceOf(PlanError);
    const problems = (err as PlanError).problems;
    expect([...new Set(problems.map((p) => p.rule))].sort()).toEqual([
      'controller-last',
      'host-after-vms',
      'load-off-delay',
      'selected-twice',
      'selects-nothing',
    ]);
    expect(problems.find((p) => p.rule === 'host-after-vms')!.targets).toEqual(['h2', 'web1']);
    expect(problems.find((p) => p.rule === 'controller-last')!.message).toContain('appliance');
    expect(problems.find((p) => p.rule === 'load-off-delay')!.message).toMatch(/off delay 20 s .* h1/);
  });

  it('refuses an invalid plan when the config loads, listing every reason as a path', () => {
    const input = clusterInput() as { plan: Record<string, unknown> };
    input.plan.on_delay_s = 60;
    input.plan.point_of_no_return = 'nowhere';
    (input.plan.phases as { name: string }[])[1]!.name = 'shed';
    try {
      validateConfig({ ups: [{ name: 'u', source: { kind: 'sim' } }], shutdown: input }, 'test', '.', {});
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const problems = (e as ConfigError).problems;
      expect(problems).toContain('shutdown.plan.phases.1.name: duplicate phase name shed');
      expect(problems.some((p) => p.startsWith('shutdown.plan.point_of_no_return: no phase named nowhere'))).toBe(true);
      expect(problems.some((p) => p.startsWith('shutdown.plan.on_delay_s: start delay 60 s must be longer'))).toBe(
        true,
      );
    }
  });

  it('rounds delays to the UPS units before comparing them', () => {
    const input = clusterInput() as { plan: Record<string, unknown> };
    Object.assign(input.plan, { off_delay_s: 61, on_delay_s: 100, delay_unit_s: 60 });
    expect(() => shutdownConfig(input)).toThrow(/start delay 120 s must be longer than the off delay 120 s/);
  });

  it('finds the appliance VM by MAC address, else by host name', async () => {
    const cfg = shutdownConfig(clusterInput());
    const cluster = new SimCluster(cfg.sim_cluster!, new ManualClock());
    const targets = await new SimDriver('sim', cluster, new ManualClock(), 0).discover();
    const { findSelf } = await import('../../src/shutdown/plan.js');
    expect(findSelf(cfg.plan!, targets, { macs: ['02:00:00:00:00:01'], hostname: 'x' })).toMatchObject({
      vm: 'appliance',
    });
    expect(findSelf(cfg.plan!, targets, { macs: [], hostname: 'db1' })).toEqual({ vm: 'db1', host: 'h1' });
  });

  it('schedules a phase under phase and driver limits', () => {
    const jobs = [10, 10, 10, 10].map((d) => ({ durationMs: d, driver: 'a' }));
    expect(makespanMs(jobs, 4, {})).toBe(10);
    expect(makespanMs(jobs, 4, { a: 2 })).toBe(20);
    expect(makespanMs(jobs, 1, {})).toBe(40);
    expect(
      makespanMs(
        [
          { durationMs: 30, driver: 'a' },
          { durationMs: 10, driver: 'a' },
          { durationMs: 10, driver: 'a' },
        ],
        2,
        {},
      ),
    ).toBe(30);
  });
});
